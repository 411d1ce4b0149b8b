"""The PL2 seam: with software installed at PL2, the board hands it traps and its own failures."""

from __future__ import annotations

from rthv.board.cpu_exit import CpuExit, ExitKind
from rthv.board.description import load_board
from rthv.board.gic import regs
from rthv.board.machine import Machine
from rthv.board.registers import Reg
from support import assemble

RAM = 0x8000_0000
CODE = """
    hvc #0
    wfi
    b .
"""


class Recorder:
    """PL2 software that notes what the board hands it; a WFI trap fails on purpose."""

    def __init__(self, machine: Machine) -> None:
        self.machine = machine
        self.calls: list[str] = []

    def physical_irq(self) -> None:
        self.calls.append("irq")

    def trap(self, exit: CpuExit) -> None:
        self.calls.append(f"trap {exit.kind.name}")
        if exit.kind is ExitKind.WFI:
            raise RuntimeError("boom")
        self.machine.core.regs[Reg.PC] = exit.pc + 4

    def serve_in_place(self, exit: CpuExit) -> bool:
        return False

    def lockup(self, exit: CpuExit, reason: str) -> None:
        self.calls.append("lockup")

    def internal_error(self, error: Exception) -> None:
        self.calls.append(f"internal error: {error}")
        self.machine.halted = True


def test_traps_go_to_pl2_and_its_own_failure_comes_back_to_it() -> None:
    """HVC and WFI trap to PL2; an exception PL2 raises is handed back as an internal error."""
    machine = Machine(load_board("vexpress-a15"))
    machine.memory.write(RAM, assemble(CODE, base=RAM))
    machine.reset(RAM)
    pl2 = Recorder(machine)
    machine.hyp = pl2
    machine.run(machine.clock.now() + 1_000)
    assert pl2.calls == [
        "trap HVC",
        "trap WFI",
        "internal error: boom",
    ]


class FailingInPlace(Recorder):
    """PL2 software whose in-place service of the HVC fails on purpose."""

    def serve_in_place(self, exit: CpuExit) -> bool:
        self.calls.append(f"in place {exit.kind.name}")
        raise RuntimeError("bang")


def test_a_failure_serving_in_place_ends_the_slice_and_comes_back_as_an_internal_error() -> None:
    """The slice ends at the HVC and counts what ran; then PL2 hears of its own failure."""
    machine = Machine(load_board("vexpress-a15"))
    machine.memory.write(RAM, assemble("mov r0, #1\nmov r1, #2\n" + CODE, base=RAM))
    machine.reset(RAM)
    pl2 = FailingInPlace(machine)
    machine.hyp = pl2
    machine.run(machine.clock.now() + 1_000)
    assert pl2.calls[:2] == ["in place HVC", "internal error: bang"]
    assert machine.core.counter.executed >= 2
    assert machine.instructions == machine.core.counter.executed


class Acknowledging(Recorder):
    """PL2 software that acknowledges and completes each physical IRQ, noting it with the
    number of guest instructions run so far."""

    def physical_irq(self) -> None:
        gicc = self.machine.gicc
        irq = gicc.acknowledge() & regs.IAR_ID_MASK
        gicc.end_of_interrupt(irq)
        self.calls.append(f"irq {irq} after {self.machine.core.counter.executed}")


def test_physical_irqs_pending_together_all_reach_pl2_before_the_guest_runs_again() -> None:
    """Two SPIs pending at once: PL2 takes the second as soon as it is done with the first,
    before the run loop lets the guest run (a physical IRQ left pending is never carried
    into the slice)."""
    machine = Machine(load_board("vexpress-a15"))
    machine.memory.write(RAM, assemble("1: b 1b", base=RAM))
    machine.reset(RAM)
    machine.gicd.write(regs.GICD_CTLR, 4, regs.GICD_CTLR_ENABLE)
    machine.gicc.write(regs.GICC_CTLR, 4, regs.GICC_CTLR_ENABLE_GRP0)
    machine.gicc.write(regs.GICC_PMR, 4, regs.IDLE_PRIORITY)
    for irq in (40, 41):
        machine.gicd.set_targets(irq, 1)
        machine.gicd.set_enabled(irq, True)
        machine.gicd.set_pending(irq, True)
    pl2 = Acknowledging(machine)
    machine.hyp = pl2
    machine.run(machine.clock.now() + 1_000)
    assert pl2.calls == ["irq 40 after 0", "irq 41 after 0"]
