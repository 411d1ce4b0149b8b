"""Traps served inside the running slice: which are served there, what serving does (PC moved
on, the instruction counted, the timer-mirror stop dropped), and which are left to end it."""

from __future__ import annotations

import pytest

from rthv.board.cpu import CpuCore
from rthv.board.cpu_exit import CpuExit, ExitKind
from rthv.board.decode import decode_coprocessor
from rthv.board.description import load_board
from rthv.board.in_slice_traps import serve_in_slice
from rthv.board.machine import Machine
from rthv.board.registers import Reg
from support import assemble

RAM = 0x8000_0000
READ_CNTPCT = "mrrc p15, 0, r4, r5, c14"
READ_SCTLR = "mrc p15, 0, r4, c1, c0, 0"


def _trapped(machine: Machine, instruction: str) -> CpuExit:
    """``machine`` at the start of ``instruction`` (A32, at RAM), as its coprocessor exit."""
    code = assemble(instruction)
    machine.memory.write(RAM, code)
    machine.reset(RAM)
    access = decode_coprocessor(int.from_bytes(code[:4], "little"), False)
    assert access is not None
    return CpuExit(ExitKind.COPROCESSOR, RAM, False, coprocessor=access)


@pytest.fixture
def machine() -> Machine:
    machine = Machine(load_board("vexpress-a15"))
    machine.clock.advance_to(1_000_000)  # CNTPCT: 62,500 at 62.5 MHz
    return machine


def test_a_generic_timer_read_is_served_the_instruction_retired(machine: Machine) -> None:
    """Bare metal, a CNTPCT read is emulated: its registers get the count, PC moves past it,
    it is counted as one instruction, and the stop to mirror the timer is dropped."""
    exit = _trapped(machine, READ_CNTPCT)
    core = machine.core
    core.counter.state.timer_sync = 1
    assert serve_in_slice(machine, core, exit)
    assert (core.regs[Reg.R4], core.regs[Reg.R5]) == (62_500, 0)
    assert core.regs.pc == RAM + 4
    assert (core.counter.executed, machine.instructions) == (1, 1)
    assert core.counter.state.timer_sync == 0


def test_with_the_virtual_timer_on_a_timer_block_is_left_to_end_the_slice(
    machine: Machine,
) -> None:
    """When the block wrote a timer register and the virtual timer runs, nothing is served:
    the slice ends so that the timer is mirrored first."""
    exit = _trapped(machine, READ_CNTPCT)
    core = machine.core
    machine.generic_timer.write_register("CNTV_CTL", 1)
    core.counter.state.timer_sync = 1
    assert not serve_in_slice(machine, core, exit)
    assert (core.regs.pc, core.regs[Reg.R4], core.counter.executed) == (RAM, 0, 0)
    core.counter.state.timer_sync = 0  # no timer write in the block: served all the same
    assert serve_in_slice(machine, core, exit)
    assert core.regs[Reg.R4] == 62_500


def test_what_the_board_does_not_emulate_is_left_to_end_the_slice(machine: Machine) -> None:
    """A coprocessor access other than the generic timer's, and an HVC, end the slice
    untouched (their exit raises UNDEF there)."""
    core = machine.core
    exit = _trapped(machine, READ_SCTLR)
    core.regs[Reg.R4] = 7
    assert not serve_in_slice(machine, core, exit)
    assert not serve_in_slice(machine, core, CpuExit(ExitKind.HVC, RAM, False, hvc_imm=1))
    assert (core.regs.pc, core.regs[Reg.R4], core.counter.executed) == (RAM, 7, 0)


class Pl2:
    """PL2 software serving what it is given as ``serves`` says; it may switch cores."""

    def __init__(self, machine: Machine, serves: bool, switch_to: CpuCore | None = None) -> None:
        self.machine, self.serves, self.switch = machine, serves, switch_to
        self.served: list[ExitKind] = []

    def serve_in_place(self, exit: CpuExit) -> bool:
        self.served.append(exit.kind)
        if self.switch is not None:
            self.machine.switch_to(self.switch)
        return self.serves

    def physical_irq(self) -> None: ...

    def trap(self, exit: CpuExit) -> None: ...

    def lockup(self, exit: CpuExit, reason: str) -> None: ...

    def internal_error(self, error: Exception) -> None: ...


def _count_end_runs(core: CpuCore) -> list[int]:
    ends = [0]

    def end_run() -> None:
        ends[0] += 1

    core.end_run = end_run  # type: ignore[method-assign]
    return ends


@pytest.mark.interpreted
@pytest.mark.parametrize("serves", [True, False])
def test_under_pl2_its_answer_decides_and_a_timer_access_is_not_emulated(
    machine: Machine, serves: bool
) -> None:
    """PL2 software is asked (the board emulates nothing itself); what it serves drops the
    timer-mirror stop and the slice goes on on the same core."""
    exit = _trapped(machine, READ_CNTPCT)
    core = machine.core
    pl2 = Pl2(machine, serves)
    machine.hyp = pl2
    machine.halted = False
    core.counter.state.timer_sync = 1
    ends = _count_end_runs(core)
    assert serve_in_slice(machine, core, exit) is serves
    assert pl2.served == [ExitKind.COPROCESSOR]
    assert (core.regs.pc, core.regs[Reg.R4], core.counter.executed) == (RAM, 0, 0)
    assert core.counter.state.timer_sync == (0 if serves else 1)
    assert ends == [0]


@pytest.mark.interpreted
def test_a_service_that_takes_the_core_off_the_cpu_ends_the_slice(machine: Machine) -> None:
    """Served by a world switch to another core: the running core's slice ends there."""
    core = machine.core
    machine.hyp = Pl2(machine, True, switch_to=machine.new_core("other"))
    machine.halted = False
    ends = _count_end_runs(core)
    assert serve_in_slice(machine, core, CpuExit(ExitKind.HVC, RAM, False, hvc_imm=1))
    assert ends == [1]
