"""SP804 dual timer: exact interrupt cycles and counter values in virtual time."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuzz_support import EXAMPLES, FUZZING
from rthv.board.clock import UNBOUNDED
from rthv.board.description import load_board
from rthv.board.guest_errors import GuestError
from rthv.board.machine import Machine
from rthv.board.run_result import StopCause
from rthv.board.sp804 import TIMER_ITCR, TIMER_STRIDE, Sp804Timer
from rthv.board.sp804_counter import (
    CTRL_32BIT,
    CTRL_ENABLE,
    CTRL_INTEN,
    CTRL_ONESHOT,
    CTRL_PERIODIC,
    TIMER_BGLOAD,
    TIMER_CONTROL,
    TIMER_INTCLR,
    TIMER_LOAD,
    TIMER_MIS,
    TIMER_RIS,
    TIMER_VALUE,
)
from rthv.board.timing import CORTEX_A7, INSTRUCTION_COUNT, TimingProfile
from support import TimeBench, assemble
from test_sp804_counter import PERIODIC_32, PRESCALE_16, TICK

RAM = 0x80000000


class Board(TimeBench):
    """A real clock and event queue around one SP804, with an idle-to-time helper."""

    def __init__(self, timclk_hz: int = 1_000_000) -> None:
        super().__init__()
        self.timer = Sp804Timer(self.clock, self.events, timclk_hz)

    def rd(self, offset: int, timer: int = 0) -> int:
        return self.timer.read(timer * TIMER_STRIDE + offset, 4)

    def wr(self, offset: int, value: int, timer: int = 0) -> None:
        self.timer.write(timer * TIMER_STRIDE + offset, 4, value)


@pytest.fixture
def board() -> Board:
    return Board()


def test_reset_values_and_ids(board: Board) -> None:
    """After reset Value is all ones, Control is 0x20 and the PrimeCell IDs read back."""
    for timer in (0, 1):
        assert board.rd(TIMER_VALUE, timer) == 0xFFFF_FFFF
        assert board.rd(TIMER_CONTROL, timer) == 0x20
        assert board.rd(TIMER_LOAD, timer) == 0
        assert board.rd(TIMER_RIS, timer) == 0
        assert board.rd(TIMER_MIS, timer) == 0
    ids = [board.timer.read(0xFE0 + 4 * i, 4) for i in range(8)]
    assert ids == [0x04, 0x18, 0x14, 0x00, 0x0D, 0xF0, 0x05, 0xB1]
    assert board.timer.read(TIMER_ITCR, 4) == 0
    assert board.timer.read(0x800, 4) == 0
    assert len(board.events) == 0


def test_a_masked_counter_s_clear_in_a_slice_reads_the_time_only_if_a_zero_may_be_due(
    board: Board,
) -> None:
    """IntClr on a masked counter needs the time only when its next zero is before the
    slice's horizon; either way a zero reached before the clear is cleared, a later one not."""
    board.wr(TIMER_LOAD, 15)
    board.wr(TIMER_CONTROL, CTRL_ENABLE | CTRL_PERIODIC | CTRL_32BIT)
    reads: list[int] = []

    def at(cycle: int) -> Callable[[], int]:
        def probe() -> int:
            reads.append(cycle)
            return cycle

        return probe

    board.clock.start_slice(at(15 * TICK - 1), 15 * TICK)  # the zero is at the horizon
    board.wr(TIMER_INTCLR, 1)
    board.clock.end_slice(15 * TICK - 1)
    assert reads == []
    board.clock.start_slice(at(1), 15 * TICK + 2)  # the zero (at 15 * TICK) is due: cleared
    board.wr(TIMER_INTCLR, 1)
    assert reads == [1] and board.rd(TIMER_RIS) == 0
    board.clock.end_slice(1)
    board.run_to(31 * TICK)  # the next zero, not cleared
    assert board.rd(TIMER_RIS) == 1


def test_combined_irq_is_or_of_both_timers(board: Board) -> None:
    """The combined line is high while either timer's masked interrupt is pending."""
    log = board.record(board.timer.combined_irq)
    board.wr(TIMER_LOAD, 10, timer=0)
    board.wr(TIMER_CONTROL, PERIODIC_32, timer=0)
    board.wr(TIMER_LOAD, 20, timer=1)
    board.wr(TIMER_CONTROL, PERIODIC_32, timer=1)
    board.run_to(25 * TICK)
    board.wr(TIMER_INTCLR, 1, timer=0)
    assert board.timer.combined_irq.level
    board.wr(TIMER_INTCLR, 1, timer=1)
    assert log == [(10 * TICK, True), (25 * TICK, False)]


def test_mid_slice_read_sees_an_undispatched_expiry(board: Board) -> None:
    """A read inside a running slice, past the expiry cycle, already sees RIS and the IRQ."""
    board.wr(TIMER_LOAD, 10)
    board.wr(TIMER_CONTROL, PERIODIC_32)
    board.clock.start_slice(lambda: 10 * TICK + 3)  # 10003 instructions retired so far
    assert board.rd(TIMER_RIS) == 1
    assert board.timer.irq[0].level
    assert board.rd(TIMER_VALUE) == 0
    board.clock.end_slice(0)
    assert board.events.peek() == 21 * TICK


def test_sub_word_reads_and_ignored_writes(board: Board) -> None:
    """Byte reads return the addressed byte; Value, unaligned and unknown writes are ignored."""
    board.wr(TIMER_LOAD, 0x1234_5678)
    assert board.rd(TIMER_VALUE) == 0x5678  # reset Control selects 16-bit mode
    board.wr(TIMER_CONTROL, CTRL_32BIT | CTRL_INTEN)
    board.wr(TIMER_LOAD, 0x1234_5678)
    assert board.timer.read(TIMER_VALUE + 1, 1) == 0x56
    assert board.timer.read(TIMER_VALUE + 2, 2) == 0x1234
    board.wr(TIMER_VALUE, 7)
    board.timer.write(TIMER_LOAD + 1, 1, 0xFF)
    board.timer.write(0xF00, 4, 1)
    assert board.rd(TIMER_VALUE) == 0x1234_5678
    assert board.rd(TIMER_LOAD) == 0x1234_5678


def test_accesses_the_model_lacks_are_reported_and_answered_as_reserved_space() -> None:
    """A reserved offset, the test registers, write-only IntClr read back, read-only Value and
    IDs written, and unaligned writes: each reads 0 or changes nothing, and is reported."""
    bench = TimeBench()
    errors: list[GuestError] = []
    timer = Sp804Timer(bench.clock, bench.events, 1_000_000, "timer0", on_error=errors.append)
    timer.write(TIMER_LOAD, 4, 500)
    assert timer.read(TIMER_INTCLR, 4) == 0
    assert timer.read(0x1C, 4) == 0
    assert timer.read(TIMER_STRIDE + 0x1C, 4) == 0
    timer.write(TIMER_VALUE, 4, 7)
    timer.write(TIMER_ITCR, 4, 1)
    timer.write(0xFE0, 4, 0)
    timer.write(TIMER_LOAD + 2, 2, 0)
    assert timer.read(TIMER_VALUE, 4) == 500 and timer.read(TIMER_LOAD, 4) == 500
    assert [(e.device, e.access, e.offset, e.why) for e in errors] == [
        ("timer0", "read", TIMER_INTCLR, "write-only register"),
        ("timer0", "read", 0x1C, "no such register"),
        ("timer0", "read", TIMER_STRIDE + 0x1C, "no such register"),
        ("timer0", "write", TIMER_VALUE, "read-only register"),
        ("timer0", "write", TIMER_ITCR, "integration test register, not modelled"),
        ("timer0", "write", 0xFE0, "read-only register"),
        ("timer0", "write", TIMER_LOAD + 2, "unaligned"),
    ]


def test_a_driver_s_registers_are_not_guest_errors(board: Board) -> None:
    """Every register of both counters, read and written as a driver does, plus the IDs."""
    errors: list[GuestError] = []
    timer = Sp804Timer(board.clock, board.events, on_error=errors.append)
    for base in (0, TIMER_STRIDE):
        for offset in (TIMER_LOAD, TIMER_VALUE, TIMER_CONTROL, TIMER_RIS, TIMER_MIS, TIMER_BGLOAD):
            timer.read(base + offset, 4)
        for offset in (TIMER_LOAD, TIMER_CONTROL, TIMER_INTCLR, TIMER_BGLOAD):
            timer.write(base + offset, 4, 0)
    timer.read(0xFE0, 4)
    timer.read(0xFFC, 1)
    assert errors == []


def test_an_interrupt_clear_in_a_slice_before_every_zero_reads_no_time(board: Board) -> None:
    """Inside a slice whose deadline is the next zero, IntClr clears without asking the slice
    how far it got: no zero can be due before the deadline."""
    board.wr(TIMER_LOAD, 15, timer=1)
    board.wr(TIMER_CONTROL, PERIODIC_32, timer=1)

    def probe() -> int:
        raise AssertionError("the time was read")

    board.clock.start_slice(probe, 15 * TICK)
    board.wr(TIMER_INTCLR, 1, timer=1)
    board.clock.end_slice(0)
    assert board.events.peek() == 15 * TICK


def test_an_interrupt_clear_charged_onto_a_zero_runs_that_zero_first(board: Board) -> None:
    """A charge carries the time of a slice exactly onto a zero not yet dispatched: IntClr
    runs the zero first (the line rises), then clears it (it falls), at that cycle."""
    board.wr(TIMER_LOAD, 15, timer=1)
    board.wr(TIMER_CONTROL, PERIODIC_32, timer=1)
    log = board.record(board.timer.irq[1])
    board.clock.start_slice(lambda: 15 * TICK - 1, 15 * TICK)  # the last instruction's start
    board.clock.charge(1)
    board.wr(TIMER_INTCLR, 1, timer=1)
    assert log == [(15 * TICK, True), (15 * TICK, False)]
    board.clock.end_slice(0)
    assert board.events.peek() == 31 * TICK


class _Slices(Board):
    """An SP804 driven as the run loop drives its guest: each access made inside a slice that
    runs towards the next event, and stops before it, perhaps after a charge. ``horizon``:
    the slice tells the clock its deadline (IntClr reads the time only when a zero may be
    due), else the clock is told nothing and every access reads the time."""

    def __init__(self, *, horizon: bool) -> None:
        super().__init__(timclk_hz=250_000)  # 4,000 cycles a tick
        self.horizon = horizon
        self.time_reads = 0  # by the last access
        self.log = [self.record(signal) for signal in (*self.timer.irq, self.timer.combined_irq)]

    def access(self, offset: int, value: int | None, at: int, charge: int) -> int:
        """One access ``at`` cycles into a slice (before its deadline), after ``charge``."""
        start = self.clock.now()
        deadline = self.events.peek() or start + 1_000_000
        self.time_reads = 0

        def probe() -> int:
            self.time_reads += 1
            return min(at, deadline - 1 - start)  # (instructions start before the deadline)

        self.clock.start_slice(probe, deadline if self.horizon else UNBOUNDED)
        self.clock.charge(charge)  # (a device access's cost, charged before the access)
        result = 0
        if value is None:
            result = self.timer.read(offset, 4)
        else:
            self.timer.write(offset, 4, value)
        reads = self.time_reads
        end = self.clock.now()
        self.time_reads = reads
        self.clock.end_slice(0)
        self.clock.advance_to(end)
        return result

    def state(self) -> object:
        """Every counter's registers and counting state, the next zeros, every line's log."""
        counters = [
            (t.load, t.control, t.ris, t._anchor, t._n0, t._v0, t.event and t.event.when)
            for t in self.timer._timers
        ]
        return counters, self.log, self.clock.now()


def test_an_interrupt_clear_reads_the_time_only_when_a_zero_may_be_due() -> None:
    """A seeded mix of IntClr (mostly), Load, BGLoad, Control and register reads at random
    points of slices, some after a charge that carries the time past the deadline, and idle
    gaps that dispatch the zeros: with the slice's horizon told to the clock, each IntClr that
    cannot meet a due zero skips the time, yet both timers end every step in the same state
    as when every access reads it; the skip was taken, and declined."""
    rng = random.Random(804)
    short, general = _Slices(horizon=True), _Slices(horizon=False)
    for board in (short, general):
        for timer in (0, 1):
            board.wr(TIMER_LOAD, 3 + 4 * timer, timer)
            board.wr(TIMER_CONTROL, PERIODIC_32, timer)
    clears = skipped = 0
    for step in range(1500):
        timer = rng.randrange(2)
        kind = rng.choice(["clear"] * 6 + ["load", "bgload", "control", "read", "idle"])
        at, charge = rng.randrange(40_000), rng.choice([0, 0, 0, rng.randrange(60_000)])
        offset, value = timer * TIMER_STRIDE + TIMER_INTCLR, 1
        if kind == "load":
            offset, value = timer * TIMER_STRIDE + TIMER_LOAD, rng.randrange(12)
        elif kind == "bgload":
            offset, value = timer * TIMER_STRIDE + TIMER_BGLOAD, rng.randrange(12)
        elif kind == "control":
            offset = timer * TIMER_STRIDE + TIMER_CONTROL
            value = rng.choice([PERIODIC_32, PERIODIC_32 | PRESCALE_16, CTRL_INTEN | CTRL_32BIT])
            value |= rng.choice([0, CTRL_ONESHOT])
        elif kind == "read":
            offset = timer * TIMER_STRIDE + rng.choice([TIMER_VALUE, TIMER_RIS, TIMER_MIS])
        if kind == "idle":
            gap = rng.randrange(80_000)
            for board in (short, general):
                board.run_to(board.clock.now() + gap)
        else:
            value_or_read = None if kind == "read" else value
            results = [b.access(offset, value_or_read, at, charge) for b in (short, general)]
            assert results[0] == results[1], (step, kind)
        if kind == "clear":
            clears += 1  # (the line logs read the time too, in both)
            skipped += short.time_reads == general.time_reads - 1
            assert short.time_reads in (general.time_reads - 1, general.time_reads), step
        assert short.state() == general.state(), (step, kind)
    assert 0 < skipped < clears


# A guest that clears timer 1's interrupt every 7 instructions (IntClr, then a RIS read that
# it adds up) while the timer interrupts every 4,000 cycles: 7 and 4,000 share no factor, so
# under instruction-count the clears land at every cycle around the zeros, among them the last
# cycle before one, the very cycle of one and the one after.
CLEARING_GUEST = """
    ldr r1, =0x1c110000         @ timer01, timer 1
    mov r0, #3
    str r0, [r1, #0x00]         @ Load 3: a zero every 4 ticks of 1 MHz, 4,000 cycles
    mov r0, #0xe2
    str r0, [r1, #0x08]         @ Control: enabled, periodic, interrupt on, 32-bit
    mov r4, #0
    ldr r5, =12000
1:  str r0, [r1, #0x0c]         @ IntClr
    ldr r2, [r1, #0x10]         @ RIS, one instruction later
    add r4, r4, r2
    nop
    nop
    subs r5, r5, #1
    bne 1b
    mov r0, #0
    str r0, [r1, #0x08]         @ Control: stopped (no event left: the run ends idle)
    wfi
"""
SHORTCUT_PROFILES = [
    pytest.param(INSTRUCTION_COUNT, id="instruction-count"),
    pytest.param(CORTEX_A7.with_overrides(cpi="3/2"), id="cortex-a7-cpi-1.5"),
]


def _clearing_run(
    profile: TimingProfile, max_slice: int | None
) -> tuple[list[tuple[int, int, bool]], dict[str, int], list[tuple[int, int]]]:
    """The clearing guest's run: its interrupt line's changes (cycle, instructions retired,
    level), its final registers, and (time, horizon) at each IntClr."""
    machine = Machine(load_board("vexpress-a15"), timing=profile)
    machine.memory.write(RAM, assemble(CLEARING_GUEST))
    machine.reset(RAM)
    timer = machine.devices["timer01"]
    assert isinstance(timer, Sp804Timer)
    clock = machine.clock
    line: list[tuple[int, int, bool]] = []
    timer.irq[0].connect(lambda level: line.append((clock.now(), machine.core.retired(), level)))
    clears: list[tuple[int, int]] = []
    horizon = clock.horizon

    def told_horizon() -> int:
        bound = horizon()
        clears.append((clock.now(), bound))
        return bound

    clock.horizon = told_horizon  # type: ignore[method-assign]
    result = machine.run(max_slice=max_slice)
    assert result.cause is StopCause.IDLE
    return line, machine.core.regs.snapshot(), clears


@pytest.mark.interpreted
@pytest.mark.parametrize("profile", SHORTCUT_PROFILES)
def test_a_guests_interrupt_clears_around_its_zeros_match_slices_of_one_and_reading_the_time(
    profile: TimingProfile, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A guest clears the interrupt every 7 instructions, at every cycle around the zeros. An
    IntClr skips reading the time when no zero is due before the clock's horizon, which holds
    only if no instruction of a slice starts at or after its deadline (the engine stops at its
    budget): at every IntClr inside a slice the time is below the horizon, and the line (its
    every rise and fall, at which cycle and instruction) and the guest's registers (the RIS it
    read after each clear, added up) are those of the same run in slices of one instruction
    and of a run whose every IntClr reads the time."""
    line, registers, clears = _clearing_run(profile, None)
    assert clears and all(now < bound for now, bound in clears)
    assert _clearing_run(profile, 1)[:2] == (line, registers)
    monkeypatch.setattr(
        Sp804Timer, "_catch_up_before", lambda self, _horizon: self._catch_up(self._clock.now())
    )
    assert _clearing_run(profile, None)[:2] == (line, registers)
    rises = {cycle for cycle, _, level in line if level}
    assert len(rises) > 20 and registers["R4"] > 0
    if profile is INSTRUCTION_COUNT:  # the clears met the zeros at every offset
        offsets = {now - bound for now, bound in clears if bound in rises}
        assert offsets >= {-1}  # the last cycle before a zero, in the slice that ends at it
        cleared_at = {cycle for cycle, _, level in line if not level}
        assert rises & cleared_at  # a clear at the zero's very cycle (in the next slice)


def _control(bits: int, enable_inten: int) -> int:
    """A Control value: ``bits`` with Enable mostly set and IntEnable mostly clear."""
    enable_inten = (CTRL_ENABLE, CTRL_ENABLE, CTRL_ENABLE | CTRL_INTEN, CTRL_INTEN)[enable_inten]
    return bits & ~(CTRL_ENABLE | CTRL_INTEN) | enable_inten


# A random access to one counter: IntClr, Load or BGLoad of a small value, any Control byte
# (enable, one-shot, 16/32-bit, prescale, IntEnable, periodic), or a register read.
ACCESS = st.one_of(
    st.tuples(st.just(TIMER_INTCLR), st.just(1)),
    st.tuples(st.sampled_from([TIMER_LOAD, TIMER_BGLOAD]), st.integers(0, 6)),
    st.tuples(st.just(TIMER_CONTROL), st.builds(_control, st.integers(0, 0xFF), st.integers(0, 3))),
    st.tuples(st.sampled_from([TIMER_VALUE, TIMER_RIS, TIMER_MIS]), st.none()),
)
# When: ``delta`` cycles from the events' counter's next zero (or ``gap`` cycles on, if none
# is coming or by choice); the access is made in a slice begun ``back`` cycles earlier, with
# zeros in between not dispatched yet, whose horizon is ``ahead`` cycles past the access.
WHEN = st.tuples(
    st.sampled_from([-1, 0, 0, 1, None]),
    st.one_of(st.integers(0, 3 * TICK), st.integers(0, 300 * TICK)),
    st.sampled_from([0, 0, 1, 500, 40 * TICK]),
    st.one_of(st.integers(1, 2 * TICK), st.none()),
)
STEP = st.tuples(WHEN, ACCESS)
LAZY_CHECKS = settings(
    max_examples=4 * EXAMPLES, deadline=None, derandomize=not FUZZING, database=None
)


def _in_slice(
    board: Board, at: int, back: int, ahead: int | None, offset: int, value: int | None
) -> tuple[int, int, int]:
    """``offset`` read (``value`` None) or written at cycle ``at`` in a slice begun ``back``
    cycles before; then RIS and Value read at the same cycle."""
    start = max(board.clock.now(), at - back)
    board.run_to(start)
    board.clock.start_slice(lambda: at - start, UNBOUNDED if ahead is None else at + ahead)
    result = 0
    if value is None:
        result = board.rd(offset)
    else:
        board.wr(offset, value)
    seen = result, board.rd(TIMER_RIS), board.rd(TIMER_VALUE)
    board.clock.end_slice(at - start)
    return seen


@LAZY_CHECKS
@given(timclk=st.sampled_from([1_000_000, 3_000_000]), steps=st.lists(STEP, max_size=40))
def test_a_masked_counter_reads_as_the_same_counter_with_zero_events(
    timclk: int, steps: list[tuple[tuple[int | None, int, int, int | None], tuple[int, int | None]]]
) -> None:
    """The same random accesses (at a zero's cycle, one before or after, or anywhere; in slices
    with zeros not dispatched yet and with any horizon) on a counter that keeps IntEnable = 1
    (its zeros are events) and on one whose Control writes set IntEnable as given (while 0, its
    zeros are arithmetic): at every step they read the same RIS and Value (and result), the
    second's MIS and line are RIS while IntEnable = 1, and it queues no event while 0."""
    events, lazy = Board(timclk), Board(timclk)
    for board, inten in ((events, CTRL_INTEN), (lazy, 0)):
        board.wr(TIMER_LOAD, 4)
        board.wr(TIMER_CONTROL, CTRL_ENABLE | CTRL_PERIODIC | CTRL_32BIT | inten)
    for (delta, gap, back, ahead), (offset, value) in steps:
        due, now = events.events.peek(), events.clock.now()
        at = now + gap if delta is None or due is None else max(now, due + delta)
        always_on = value | CTRL_INTEN if offset == TIMER_CONTROL and value is not None else value
        seen = _in_slice(events, at, back, ahead, offset, always_on)
        lazy_seen = _in_slice(lazy, at, back, ahead, offset, value)
        inten = bool(lazy.timer._timers[0].control & CTRL_INTEN)
        if offset == TIMER_MIS and not inten:  # (MIS is RIS only while IntEnable = 1)
            seen = (0, *seen[1:])
        assert lazy_seen == seen
        assert lazy.timer.irq[0].level == (inten and bool(seen[1])) == bool(lazy.rd(TIMER_MIS))
        assert inten or len(lazy.events) == 0
