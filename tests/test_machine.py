"""The board's run loop: exact virtual time, determinism, idling and trapped timer reads."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
import unicorn

from rthv.board.cpu_exit import CpuExit
from rthv.board.description import load_board
from rthv.board.generic_timer import GenericTimerRegister
from rthv.board.gic import regs
from rthv.board.machine import INTERRUPTS_KEPT, Machine
from rthv.board.pl011 import INT_RX, UART_IMSC
from rthv.board.registers import Reg
from rthv.board.run_result import StopCause
from rthv.board.timing import CORTEX_A7, CORTEX_A15, INSTRUCTION_COUNT, TimingProfile
from support import UNDEFINED_GUEST, InstructionTrace, assemble, boot, guest_image

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


def test_an_event_scheduled_inside_a_slice_ends_it_at_its_time() -> None:
    """An event scheduled while a slice runs (here from a code hook, as a device model does
    from an MMIO access) ends that slice sooner and fires at its exact cycle; between slices
    the queue calls no hook."""
    machine = _machine_with(assemble(SPIN))
    trace = InstructionTrace(machine.core.uc)
    seen: list[tuple[int, int]] = []

    def step(_uc: object, _address: int, _size: int, _data: object) -> None:
        if trace.count == 1_000:
            machine.events.schedule(
                5_000, lambda: seen.append((machine.clock.now(), machine.instructions))
            )

    machine.core.uc.hook_add(unicorn.UC_HOOK_CODE, step)
    machine.run()
    assert seen == [(5_000, 5_000)]
    assert machine.events.on_schedule is None


def test_until_stops_at_the_exact_cycle_and_idle_ends_a_run() -> None:
    """``run(until)`` stops on the cycle; a guest asleep with nothing to wake it ends the run."""
    machine = _machine_with(assemble(SPIN))
    first = machine.run(123_457)
    assert (first.cause, first.cycles, first.instructions) == (StopCause.UNTIL, 123_457, 123_457)
    second = machine.run()
    assert second.cause is StopCause.IDLE
    assert second.instructions == 2 + 4 * 200_000 + 2  # the loop, then MRRC and WFI


def _sleeping(for_good: bool) -> tuple[Any, list[int], list[int]]:
    """A parked CPU (as PL2 software with nothing to run leaves it) with events at 1,000 and
    2,000 cycles, run to 10,000: (the result, when ``sleeps_for_good`` was asked, when the
    events ran)."""
    machine = _machine_with(b"")
    machine.parked = True
    asked: list[int] = []
    fired: list[int] = []

    def answer() -> bool:
        asked.append(machine.clock.now())
        return for_good

    machine.sleeps_for_good = answer
    for when in (1_000, 2_000):
        machine.events.schedule(when, lambda: fired.append(machine.clock.now()))
    return machine.run(10_000), asked, fired


def test_a_cpu_that_sleeps_for_good_stops_idle_with_events_still_queued() -> None:
    """Asked when the CPU would sleep until its next event, ``sleeps_for_good`` answering yes
    ends the run idle then, the events left unrun; answering no lets it sleep to each event
    (and it is not asked once none is left)."""
    stopped, asked, fired = _sleeping(True)
    assert (stopped.cause, stopped.cycles, asked, fired) == (StopCause.IDLE, 0, [0], [])
    slept, asked, fired = _sleeping(False)
    assert (slept.cause, slept.cycles, asked) == (StopCause.IDLE, 2_000, [0, 1_000])
    assert fired == [1_000, 2_000]


class _TakesIrqs:
    """PL2 software with nothing to run: it takes each physical IRQ (acknowledges it, masks
    its source at the distributor and ends it)."""

    def __init__(self, machine: Machine) -> None:
        self.machine = machine
        self.taken: list[int] = []

    def physical_irq(self) -> None:
        irq = self.machine.gicc.acknowledge_and_drop() & regs.IAR_ID_MASK
        self.taken.append(irq)
        self.machine.gicd.set_enabled(irq, False)
        self.machine.gicc.deactivate(irq)

    def trap(self, exit: CpuExit) -> None:
        raise AssertionError(f"a parked CPU trapped: {exit}")

    def serve_in_place(self, exit: CpuExit) -> bool:
        return False

    def lockup(self, exit: CpuExit, reason: str) -> None:
        raise AssertionError(reason)

    def internal_error(self, error: Exception) -> None:
        raise error


def test_input_between_runs_is_taken_before_the_cpu_would_sleep_for_good() -> None:
    """A run stopped idle for good; a key typed then into the UART (its receive interrupt
    unmasked) raises its IRQ, which the next run hands to PL2 before it asks again."""
    machine = _machine_with(b"")
    machine.gicd.write(regs.GICD_CTLR, 4, regs.GICD_CTLR_ENABLE)
    machine.gicc.write(regs.GICC_CTLR, 4, regs.GICC_CTLR_ENABLE_GRP0 | regs.GICC_CTLR_EOIMODE)
    machine.gicc.write(regs.GICC_PMR, 4, regs.IDLE_PRIORITY)
    [uart_irq] = next(d.irqs for d in machine.board.devices if d.name == "uart0")
    machine.gicd.set_targets(uart_irq, 1)  # CPU 0
    machine.gicd.set_enabled(uart_irq, True)
    uart = machine.uart("uart0")
    uart.write(UART_IMSC, 4, INT_RX)
    pl2 = _TakesIrqs(machine)
    machine.hyp = pl2
    machine.parked = True
    machine.sleeps_for_good = lambda: True
    machine.events.schedule(5_000, lambda: None)  # a timer that could wake nothing
    first = machine.run(10_000)
    assert (first.cause, pl2.taken) == (StopCause.IDLE, [])
    uart.inject(b"k")
    second = machine.run(10_000)
    assert (second.cause, pl2.taken) == (StopCause.IDLE, [uart_irq])


def test_generic_timer_counter_follows_virtual_time() -> None:
    """CNTPCT read by the guest is the instruction count scaled to 62.5 MHz, never host time."""
    machine = _machine_with(assemble(SPIN))
    machine.run()
    retired_before_mrrc = 2 + 4 * 200_000  # MOV, LDR, then the loop
    counter = machine.core.regs[Reg.R4] | machine.core.regs[Reg.R5] << 32
    assert counter == retired_before_mrrc * 62_500_000 // 1_000_000_000


READ_COUNTER_IN_A_LOOP = """
    ldr r6, =0x80001000
    mov r1, #10
1:  mrrc p15, 0, r4, r5, c14
    str r4, [r6], #4
    mov r2, #100
2:  subs r2, r2, #1
    bne 2b
    subs r1, r1, #1
    bne 1b
    wfi
"""


def _count_slices(machine: Machine) -> list[int]:
    """A list whose one item counts the run slices of ``machine``'s core from now on."""
    core = machine.core
    slices = [0]
    run = core.run

    def counted(**limits: Any) -> CpuExit:
        slices[0] += 1
        return run(**limits)

    core.run = counted  # type: ignore[method-assign]
    return slices


@pytest.mark.interpreted
def test_timer_reads_are_served_inside_the_run_slice_at_their_exact_time() -> None:
    """Ten CNTPCT reads in one slice: none ends it, each reads the time of its instruction."""
    machine = _machine_with(assemble(READ_COUNTER_IN_A_LOOP))
    slices = _count_slices(machine)
    result = machine.run()
    assert slices == [1]
    assert result.instructions == 2 + 10 * 205 + 1
    read = machine.memory.read(RAM + 0x1000, 40)
    values = [int.from_bytes(read[4 * k : 4 * k + 4], "little") for k in range(10)]
    assert values == [(2 + 205 * k) * 62_500_000 // 1_000_000_000 for k in range(10)]


@pytest.mark.interpreted
def test_a_timer_write_is_served_in_the_slice_while_the_virtual_timer_is_off() -> None:
    """A CNTP_CVAL write does not end its slice: the virtual timer's mirror would be moot."""
    machine = _machine_with(assemble("mvn r0, #0\nmvn r1, #0\nmcrr p15, 2, r0, r1, c14\nwfi"))
    slices = _count_slices(machine)
    result = machine.run()
    assert slices == [1]
    assert result.instructions == 4
    assert machine.generic_timer.read_register("CNTP_CVAL") == (1 << 64) - 1


@pytest.mark.interpreted
def test_with_the_virtual_timer_on_a_timer_write_ends_its_slice() -> None:
    """After CNTV_CTL = ENABLE|IMASK, a CNTP_CVAL write ends its slice, so the virtual timer
    is mirrored after the run loop's turn, as always."""
    code = """
        mov r2, #3
        mcr p15, 0, r2, c14, c3, 1
        mvn r0, #0
        mvn r1, #0
        mcrr p15, 2, r0, r1, c14
        wfi
    """
    machine = _machine_with(assemble(code))
    slices = _count_slices(machine)
    result = machine.run()
    assert slices == [2]
    assert result.instructions == 6
    assert machine.generic_timer.virtual_enabled()
    assert machine.generic_timer.read_register("CNTP_CVAL") == (1 << 64) - 1


TIMER01 = 0x1C110000
READ_TIMER_MID_BLOCK = """
    ldr r3, =0x1c110000
    mov r0, #0x02
    str r0, [r3, #8]
    mvn r0, #0
    str r0, [r3, #0]
    mov r0, #0x82
    str r0, [r3, #8]
    mov r1, #1000
1:  subs r1, r1, #1
    bne 1b
    add r2, r2, #1
    add r2, r2, #2
    ldr r0, [r3, #4]
    add r2, r2, #3
    wfi
"""


@pytest.mark.interpreted
@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "thumb"])
def test_a_timer_read_in_mid_block_sees_the_exact_time(thumb: bool) -> None:
    """An SP804 access in the middle of a block happens at exactly its instruction's cycle."""
    code = assemble(READ_TIMER_MID_BLOCK, thumb=thumb)
    machine = _machine_with(code)
    if thumb:
        machine.core.regs.branch(RAM, thumb=True)
    timer = machine.devices["timer01"]
    accesses: list[tuple[str, int, int]] = []
    original_read, original_write = timer.read, timer.write

    def read(offset: int, size: int) -> int:
        value = original_read(offset, size)
        accesses.append(("read", offset, machine.clock.now()))
        accesses.append(("value", value, machine.clock.now()))
        return value

    def write(offset: int, size: int, value: int) -> None:
        accesses.append(("write", offset, machine.clock.now()))
        original_write(offset, size, value)

    timer.read = read  # type: ignore[method-assign]
    timer.write = write  # type: ignore[method-assign]
    machine.run(1_000_000)  # the enabled timer always has a next wrap: bound the run
    # Instructions before each access: LDR, MOV | STR (32-bit mode), MVN | STR (Load), MOV |
    # STR (enable), MOV, 1000 x (SUBS, BNE), ADD, ADD | LDR (Value). The timer counts down
    # from 0xFFFFFFFF at 1 MHz: one tick per 1000 cycles after the enabling store.
    size_at, load_at, enable_at = 2, 4, 6
    read_at = enable_at + 2 + 2 * 1000 + 2
    assert accesses[0] == ("write", 0x8, size_at)
    assert accesses[1] == ("write", 0x0, load_at)
    assert accesses[2] == ("write", 0x8, enable_at)
    assert accesses[3] == ("read", 0x4, read_at)
    assert accesses[4] == ("value", 0xFFFFFFFF - (read_at - enable_at) // 1000, read_at)
    assert machine.core.regs[Reg.R0] == accesses[4][1]


ENABLE_PENDING_IRQ = """
    ldr r0, =vectors
    mcr p15, 0, r0, c12, c0, 0      @ VBAR
    ldr r1, =0x2c001000             @ GICD
    ldr r2, =0x2c002000             @ GICC
    mov r0, #1
    str r0, [r1]                    @ GICD_CTLR: on
    str r0, [r2]                    @ GICC_CTLR: on
    mov r0, #0xff
    str r0, [r2, #4]                @ GICC_PMR: all priorities
    ldr r0, =0x01010101
    str r0, [r1, #0x820]            @ ITARGETSR8: IRQs 32..35 to CPU 0
    mov r0, #1
    str r0, [r1, #0x204]            @ GICD_ISPENDR1: IRQ 32 pending (not yet enabled)
    cpsie i
    add r3, r3, #1
    str r0, [r1, #0x104]            @ GICD_ISENABLER1: enable IRQ 32 -> deliverable now
    add r3, r3, #1
    add r3, r3, #1
    add r3, r3, #1
    wfi
    .balign 32
vectors:
    .rept 8
    b .
    .endr
"""


def test_an_interrupt_made_deliverable_by_a_gic_write_is_taken_right_after_it() -> None:
    """Enabling a pending IRQ mid-block: the IRQ is taken before the very next instruction."""
    code = assemble(ENABLE_PENDING_IRQ)
    machine = _machine_with(code)
    machine.run(10_000)
    (irq,) = machine.interrupts
    store = RAM + code.index(bytes.fromhex("040181e5"))  # str r0, [r1, #0x104]
    assert irq.pc == store + 4
    assert machine.core.regs[Reg.R3] == 1  # only the ADD before the store has run


def test_a_run_stops_exactly_at_its_limit_and_leaves_what_is_due_there_to_the_next() -> None:
    """An event due at the limit does not run (nor charge anything) before the next run."""
    machine = _machine_with(assemble(SPIN))
    fired: list[int] = []
    machine.events.schedule(500, lambda: fired.append(machine.clock.now()))
    first = machine.run(500)
    assert (first.cause, first.cycles, fired) == (StopCause.UNTIL, 500, [])
    machine.run(600)
    assert fired == [500]


def test_interrupt_records_are_bounded() -> None:
    """A machine keeps the latest INTERRUPTS_KEPT interrupt records, not every one forever."""
    machine = _machine_with(assemble(ENABLE_PENDING_IRQ))
    assert machine.interrupts.maxlen == INTERRUPTS_KEPT


@pytest.mark.interpreted
def test_interrupts_delivered_in_one_turn_run_as_with_a_turn_after_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The timer guest (bare metal, its SP804 interrupts it): a run whose interrupt entries go
    on to the slice in the same turn, and a run that takes a new turn of the loop after each
    one (``_quiet`` never true), give the same output, counts, time, registers and interrupt
    trace; the shortcut was taken."""
    quiet = Machine._quiet
    answers: list[bool] = []

    def counted(self: Machine, limit: int, now: int | None = None) -> bool:
        answers.append(quiet(self, limit, now))
        return answers[-1]

    monkeypatch.setattr(Machine, "_quiet", counted)
    short = _fingerprint("timer", None)
    assert True in answers
    monkeypatch.setattr(Machine, "_quiet", lambda _self, _limit, _now=None: False)
    assert _fingerprint("timer", None) == short


# A guest that reads CNTP_CVAL (a trapped timer access, served in its slice) in a loop and
# keeps what it read.
READ_CVAL_IN_A_LOOP = """
    ldr r6, =0x80001000
    mov r1, #12
1:  mrrc p15, 2, r4, r5, c14
    str r4, [r6], #4
    subs r1, r1, #1
    bne 1b
    wfi
"""


def _equal_time_run(
    timing: TimingProfile, events_at: list[int], in_place: bool
) -> tuple[list[tuple[str, int, int, int]], bytes, int, int]:
    """The CVAL-reading guest with an event at each of ``events_at`` that writes its own time
    to CNTP_CVAL: the order of events and trapped reads (each with its time and the count of
    instructions before it), what the guest read, the slices and the end time. ``in_place``
    False: each trapped access ends its slice and the run loop serves it."""
    machine = Machine(load_board("vexpress-a15"), timing=timing)
    machine.memory.write(RAM, assemble(READ_CVAL_IN_A_LOOP))
    machine.reset(RAM)
    core, clock, timer = machine.core, machine.clock, machine.generic_timer
    order: list[tuple[str, int, int, int]] = []
    for when in events_at:

        def fire(when: int = when) -> None:
            order.append(("event", when, clock.now(), core.counter.executed))
            timer.write_register("CNTP_CVAL", when)

        machine.events.schedule(when, fire)
    read = timer.read_register

    def traced_read(name: GenericTimerRegister | str) -> int:
        order.append(("trap", clock.now(), core.counter.executed, core.regs.pc))
        return read(name)

    timer.read_register = traced_read  # type: ignore[method-assign]
    serve = core.serve_in_place
    assert serve is not None
    served: list[bool] = []

    def serve_or_not(exit: CpuExit) -> bool:
        served.append(serve(exit) if in_place else False)
        return served[-1]

    core.serve_in_place = serve_or_not
    slices = _count_slices(machine)
    result = machine.run()
    assert result.cause is StopCause.IDLE and served == [in_place] * 12
    return order, machine.memory.read(RAM + 0x1000, 48), slices[0], result.cycles


@pytest.mark.parametrize(
    "timing",
    [INSTRUCTION_COUNT, CORTEX_A15, CORTEX_A7.with_overrides(cpi="3/2")],
    ids=["instruction-count", "cortex-a15", "cortex-a7-cpi-1.5"],
)
@pytest.mark.interpreted
def test_an_event_at_a_trap_served_in_place_comes_in_the_order_of_the_trap_ending_the_slice(
    timing: TimingProfile,
) -> None:
    """Events due at the very cycle of a trapped timer access: at the cycle its instruction
    starts, at each cycle it takes, at the one after (and one at every cycle of the loop).
    Equal times run in one order (docs/timing.md): an event due when the instruction would
    start ends the slice before it and comes first; one due later, while it executes, comes
    after it, as does the run loop's next turn after an exit. Served in place, inside the
    slice, every such run gives the same order of events and traps (each at the same time,
    after the same count of instructions), the same values read by the guest and the same end
    time as when every trapped access ends its slice instead; only the slices differ."""
    reference, _, _, _ = _equal_time_run(timing, [], in_place=True)
    traps = [entry[1] for entry in reference]
    assert len(traps) == 12
    starts = [traps[4] + offset for offset in range(-1, 5)]  # around and within the 5th read
    schedules = [[when] for when in starts] + [list(range(traps[2] - 2, traps[7] + 2))]
    for events_at in schedules:
        *in_place, in_place_slices, _ = _equal_time_run(timing, events_at, in_place=True)
        *ended, ended_slices, _ = _equal_time_run(timing, events_at, in_place=False)
        assert in_place == ended, events_at
        assert in_place_slices < ended_slices
    # The order itself: the event at the 5th read's first cycle comes before it, one a cycle
    # later after it.
    order_at_start = _equal_time_run(timing, [traps[4]], in_place=True)[0]
    order_after = _equal_time_run(timing, [traps[4] + 1], in_place=True)[0]
    assert [entry[0] for entry in order_at_start[4:6]] == ["event", "trap"]
    assert [entry[0] for entry in order_after[4:6]] == ["trap", "event"]


def test_exception_observers_hear_each_guest_exception_before_the_board_takes_it() -> None:
    """An undefined instruction: the observer is told of its exit while the guest is still in
    SVC mode; then the guest takes it at its UND vector."""
    machine = _machine_with(assemble(UNDEFINED_GUEST.format(access=".inst 0xe7f000f0"), base=RAM))
    told: list[tuple[str, int, int]] = []

    def observe(exit: CpuExit) -> None:
        told.append((exit.kind.name, exit.pc, machine.core.regs.mode))

    machine.exception_observers.append(observe)
    machine.run(5_000)
    assert told == [("UNDEFINED", RAM + 12, 0x13)]
    assert (machine.core.regs.mode, machine.core.regs[Reg.R6]) == (0x1B, 7)
