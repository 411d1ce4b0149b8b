"""The board's run loop: exact virtual time, determinism, idling and trapped timer reads."""

from __future__ import annotations

from fractions import Fraction

import pytest

from rthv.board.description import load_board
from rthv.board.machine import Machine, StopCause
from rthv.board.registers import Reg
from support import InstructionTrace, assemble, boot, guest_image

RAM = 0x80000000
SPIN = """
    mov r0, #0
    ldr r1, =200000
1:  add r0, r0, #3
    eor r2, r0, r1
    subs r1, r1, #1
    bne 1b
    mrrc p15, 0, r4, r5, c14
    wfi
"""


def _machine_with(code: bytes) -> Machine:
    machine = Machine(load_board("vexpress-a15"))
    machine.memory.write(RAM, code)
    machine.reset(RAM)
    return machine


def _fingerprint(image: str, max_slice: int | None) -> tuple[object, ...]:
    booted = boot(guest_image(image))
    result = booted.machine.run(
        booted.machine.clock.from_ns(Fraction(30_000_000)), max_slice=max_slice
    )
    irqs = [(i.cycle, i.instructions, i.pc) for i in booted.machine.interrupts]
    return (
        booted.output(),
        result.instructions,
        result.cycles,
        booted.machine.core.regs.snapshot(),
        irqs,
    )


@pytest.mark.parametrize("image", ["timer", "thumb", "exceptions"])
def test_three_slice_sizes_give_identical_runs(image: str) -> None:
    """Output, instruction count, final registers and interrupt trace ignore the slice size."""
    runs = [_fingerprint(image, max_slice) for max_slice in (None, 997, 10_000)]
    assert runs[0] == runs[1] == runs[2]


def test_an_event_fires_at_its_exact_cycle_in_the_middle_of_a_block() -> None:
    """An event due at cycle T runs when exactly T instructions have executed, not later."""
    machine = _machine_with(assemble(SPIN))
    trace = InstructionTrace(machine.core.uc)
    seen: list[tuple[int, int, int]] = []
    for when in (1, 2, 5, 1_001, 12_345, 400_003):
        machine.events.schedule(
            when, lambda: seen.append((machine.clock.now(), machine.instructions, trace.count))
        )
    machine.run()
    assert seen == [(t, t, t) for t in (1, 2, 5, 1_001, 12_345, 400_003)]


def test_until_stops_at_the_exact_cycle_and_idle_ends_a_run() -> None:
    """``run(until)`` stops on the cycle; a guest asleep with nothing to wake it ends the run."""
    machine = _machine_with(assemble(SPIN))
    first = machine.run(123_457)
    assert (first.cause, first.cycles, first.instructions) == (StopCause.UNTIL, 123_457, 123_457)
    second = machine.run()
    assert second.cause is StopCause.IDLE
    assert second.instructions == 2 + 4 * 200_000 + 2  # the loop, then MRRC and WFI


def test_generic_timer_counter_follows_virtual_time() -> None:
    """CNTPCT read by the guest is the instruction count scaled to 62.5 MHz, never host time."""
    machine = _machine_with(assemble(SPIN))
    machine.run()
    retired_before_mrrc = 2 + 4 * 200_000  # MOV, LDR, then the loop
    counter = machine.core.regs[Reg.R4] | machine.core.regs[Reg.R5] << 32
    assert counter == retired_before_mrrc * 62_500_000 // 1_000_000_000
