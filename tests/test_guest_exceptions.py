"""The guest's own exceptions: vector entries, flash writes ignored, lockups, and PL2's share."""

from __future__ import annotations

import pytest

from rthv.board.cpu_exit import CpuExit, ExitKind
from rthv.board.description import load_board
from rthv.board.exceptions import ExceptionKind
from rthv.board.guest_exceptions import (
    LOCKUP_ENTRIES,
    LockupWatch,
    is_hyp_trap,
    take_guest_exception,
)
from rthv.board.machine import Machine
from rthv.board.registers import Mode

RAM = 0x8000_0000
FLASH = 0x0000_0000  # the virt board's first flash bank


@pytest.mark.parametrize(
    ("exit", "to_pl2"),
    [
        (CpuExit(ExitKind.HVC, RAM, False, hvc_imm=0), True),
        (CpuExit(ExitKind.WFI, RAM, False), True),
        (CpuExit(ExitKind.DATA_ABORT, RAM, False, unmapped=True), True),
        (CpuExit(ExitKind.PREFETCH_ABORT, RAM, False, permission=True), True),
        (CpuExit(ExitKind.DATA_ABORT, RAM, False, fault_status=5), False),  # the guest's MMU
        (CpuExit(ExitKind.SVC, RAM, False), False),
        (CpuExit(ExitKind.UNDEFINED, RAM, False), False),
    ],
)
def test_pl2_takes_its_traps_and_stage2_aborts_only(exit: CpuExit, to_pl2: bool) -> None:
    """HVC, WFI and Stage-2 aborts go to PL2; SVC, UNDEF and Stage-1 walk faults do not."""
    assert is_hyp_trap(exit) is to_pl2


def test_an_undefined_instruction_enters_und_mode_at_its_vector() -> None:
    """UNDEFINED: UND mode, LR past the instruction, PC at the vector base + 4."""
    machine = Machine(load_board("vexpress-a15"))
    machine.reset(RAM)
    core = machine.core
    take_guest_exception(machine, core, CpuExit(ExitKind.UNDEFINED, RAM, False))
    assert core.regs.mode == Mode.UND
    assert core.regs.pc == ExceptionKind.UNDEFINED.value.vector_offset


def test_a_write_to_flash_is_ignored_and_retires() -> None:
    """A permission abort on a store to flash skips the store and counts it as executed."""
    machine = Machine(load_board("virt"))
    machine.reset(RAM)
    core = machine.core
    exit = CpuExit(ExitKind.DATA_ABORT, RAM, False, address=FLASH + 8, write=True, permission=True)
    take_guest_exception(machine, core, exit)
    assert (core.regs.pc, core.regs.mode, core.counter.executed) == (RAM + 4, Mode.SVC, 1)


def test_a_lockup_is_entries_in_a_row_without_progress() -> None:
    """The LOCKUP_ENTRIES-th entry with nothing retired is a lockup; then it counts afresh."""
    core = Machine(load_board("vexpress-a15")).core
    watch = LockupWatch()
    assert not any(watch.locked_up(core) for _ in range(LOCKUP_ENTRIES))
    assert watch.locked_up(core)
    assert not watch.locked_up(core)
    core.counter.state.executed += 1  # progress
    assert not any(watch.locked_up(core) for _ in range(LOCKUP_ENTRIES))
