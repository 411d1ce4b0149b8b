"""One SP804 counter: its value, zeros and interrupt in exact virtual time, register by register."""

from __future__ import annotations

import pytest

from rthv.board.sp804_counter import (
    CTRL_32BIT,
    CTRL_ENABLE,
    CTRL_INTEN,
    CTRL_ONESHOT,
    CTRL_PERIODIC,
    MASK_32,
    TIMER_BGLOAD,
    TIMER_CONTROL,
    TIMER_INTCLR,
    TIMER_LOAD,
    TIMER_MIS,
    TIMER_RIS,
    TIMER_VALUE,
    Sp804Counter,
)
from support import TimeBench

PRESCALE_16 = 1 << 2
PRESCALE_256 = 2 << 2
PERIODIC_32 = CTRL_ENABLE | CTRL_PERIODIC | CTRL_INTEN | CTRL_32BIT
TICK = 1000  # cycles per TIMCLK period at 1 GHz CPU / 1 MHz TIMCLK


class CounterBench(TimeBench):
    """A real clock and event queue around one counter, its registers accessed at the time."""

    def __init__(self, timclk_hz: int = 1_000_000) -> None:
        super().__init__()
        self.counter = Sp804Counter(self.clock, self.events, timclk_hz, "sp804.timer1")

    def rd(self, reg: int) -> int:
        return self.counter.read(reg, self.clock.now())

    def wr(self, reg: int, value: int) -> None:
        self.counter.write(reg, value, self.clock.now())


@pytest.fixture
def bench() -> CounterBench:
    return CounterBench()


def test_periodic_load_999_fires_after_load_then_every_load_plus_one(bench: CounterBench) -> None:
    """Load=999 periodic: first IRQ 999 ticks after enable, then every 1000 ticks."""
    log = bench.record(bench.counter.irq)
    bench.run_to(5_000)
    bench.wr(TIMER_LOAD, 999)
    bench.wr(TIMER_CONTROL, PERIODIC_32)
    bench.run_to(5_000 + 10 * TICK + 500)
    assert bench.rd(TIMER_VALUE) == 989
    bench.run_to(5_000 + 999 * TICK - 1)
    assert bench.rd(TIMER_VALUE) == 1 and log == []
    bench.run_to(5_000 + 999 * TICK)
    assert log == [(1_004_000, True)]
    assert bench.rd(TIMER_VALUE) == 0
    assert bench.rd(TIMER_RIS) == 1 and bench.rd(TIMER_MIS) == 1
    bench.run_to(1_005_000)
    assert bench.rd(TIMER_VALUE) == 999
    bench.wr(TIMER_INTCLR, 0)
    bench.run_to(2_010_000)
    assert log == [(1_004_000, True), (1_005_000, False), (2_004_000, True)]


def test_non_integer_tick_ratio_rounds_each_decrement_up() -> None:
    """At 3 MHz TIMCLK each decrement lands on the first cycle at or after its exact time."""
    bench = CounterBench(timclk_hz=3_000_000)
    log = bench.record(bench.counter.irq)
    bench.wr(TIMER_LOAD, 10)
    bench.wr(TIMER_CONTROL, PERIODIC_32)
    bench.run_to(333)
    assert bench.rd(TIMER_VALUE) == 10
    bench.run_to(334)
    assert bench.rd(TIMER_VALUE) == 9
    bench.run_to(10_000)
    assert log[0] == (3_334, True)  # ceil(10 * 1e9 / 3e6)


@pytest.mark.parametrize(
    ("prescale", "load", "value", "zero"),
    [(PRESCALE_16, 10, 7, 160 * TICK), (PRESCALE_256, 2, 2, 512 * TICK)],
)
def test_prescale_divides_by_16_and_256(prescale: int, load: int, value: int, zero: int) -> None:
    """Prescale /16 and /256 stretch every decrement by that many TIMCLK periods."""
    bench = CounterBench()
    log = bench.record(bench.counter.irq)
    bench.wr(TIMER_LOAD, load)
    bench.wr(TIMER_CONTROL, PERIODIC_32 | prescale)
    bench.run_to(3 * 16 * TICK + 1)
    assert bench.rd(TIMER_VALUE) == value
    bench.run_to(600 * TICK)
    assert log == [(zero, True)]


def test_one_shot_stops_at_zero_until_load_is_rewritten(bench: CounterBench) -> None:
    """A one-shot timer interrupts once, holds 0 with no pending event, and restarts on Load."""
    log = bench.record(bench.counter.irq)
    bench.wr(TIMER_LOAD, 5)
    bench.wr(TIMER_CONTROL, CTRL_ENABLE | CTRL_ONESHOT | CTRL_INTEN | CTRL_32BIT)
    bench.run_to(100 * TICK)
    assert log == [(5 * TICK, True)]
    assert bench.rd(TIMER_VALUE) == 0
    assert len(bench.events) == 0
    bench.wr(TIMER_INTCLR, 1)
    bench.wr(TIMER_LOAD, 3)
    bench.run_to(200 * TICK)
    assert log == [(5 * TICK, True), (100 * TICK, False), (103 * TICK, True)]


def test_free_running_32_bit_wraps_to_all_ones_after_zero(bench: CounterBench) -> None:
    """Free-running counts Load..0, then continues from 0xFFFFFFFF; IRQ at each zero."""
    log = bench.record(bench.counter.irq)
    bench.wr(TIMER_LOAD, 3)
    bench.wr(TIMER_CONTROL, CTRL_ENABLE | CTRL_INTEN | CTRL_32BIT)
    bench.run_to(3 * TICK)
    assert log == [(3 * TICK, True)] and bench.rd(TIMER_VALUE) == 0
    bench.run_to(4 * TICK)
    assert bench.rd(TIMER_VALUE) == 0xFFFF_FFFF
    bench.wr(TIMER_INTCLR, 1)
    assert bench.events.peek() == (3 + (1 << 32)) * TICK


def test_free_running_16_bit_counts_from_ffff(bench: CounterBench) -> None:
    """In 16-bit mode the reset value is seen as 0xFFFF and the counter wraps every 2**16."""
    log = bench.record(bench.counter.irq)
    bench.wr(TIMER_CONTROL, CTRL_ENABLE | CTRL_INTEN)
    assert bench.rd(TIMER_VALUE) == 0xFFFF
    bench.run_to(0xFFFF * TICK)
    assert log == [(0xFFFF * TICK, True)]
    bench.run_to(0x10000 * TICK)
    assert bench.rd(TIMER_VALUE) == 0xFFFF
    bench.wr(TIMER_INTCLR, 1)
    bench.run_to((0xFFFF + 0x10000) * TICK)
    assert log[-1] == ((0xFFFF + 0x10000) * TICK, True)


def test_16_bit_periodic_uses_low_half_of_load(bench: CounterBench) -> None:
    """A 16-bit periodic timer loads and reloads only the low 16 bits of Load."""
    log = bench.record(bench.counter.irq)
    bench.wr(TIMER_LOAD, 0x1_0004)
    bench.wr(TIMER_CONTROL, CTRL_ENABLE | CTRL_PERIODIC | CTRL_INTEN)
    assert bench.rd(TIMER_VALUE) == 4
    bench.run_to(4 * TICK)
    bench.wr(TIMER_INTCLR, 1)
    bench.run_to(9 * TICK)
    assert log == [(4 * TICK, True), (4 * TICK, False), (9 * TICK, True)]


def test_bgload_changes_next_period_without_restarting(bench: CounterBench) -> None:
    """BGLoad leaves the running count alone and sets the period after the next zero."""
    log = bench.record(bench.counter.irq)
    bench.wr(TIMER_LOAD, 99)
    bench.wr(TIMER_CONTROL, PERIODIC_32)
    bench.run_to(40 * TICK + 7)
    bench.wr(TIMER_BGLOAD, 49)
    assert bench.rd(TIMER_VALUE) == 59
    assert bench.rd(TIMER_LOAD) == 49 and bench.rd(TIMER_BGLOAD) == 49
    bench.run_to(99 * TICK)
    bench.wr(TIMER_INTCLR, 1)
    bench.run_to(100 * TICK)
    assert bench.rd(TIMER_VALUE) == 49
    bench.run_to(200 * TICK)
    assert log == [(99 * TICK, True), (99 * TICK, False), (149 * TICK, True)]


def test_intclr_and_mis_masking(bench: CounterBench) -> None:
    """RIS is raw; MIS and the IRQ line follow IntEnable; IntClr drops both."""
    log = bench.record(bench.counter.irq)
    bench.wr(TIMER_LOAD, 10)
    bench.wr(TIMER_CONTROL, CTRL_ENABLE | CTRL_PERIODIC | CTRL_32BIT)
    bench.run_to(10 * TICK)
    assert bench.rd(TIMER_RIS) == 1 and bench.rd(TIMER_MIS) == 0 and log == []
    bench.run_to(12 * TICK)
    bench.wr(TIMER_CONTROL, PERIODIC_32)
    assert bench.rd(TIMER_MIS) == 1 and log == [(12 * TICK, True)]
    assert bench.rd(TIMER_VALUE) == 9  # enabling interrupts does not disturb the count
    bench.wr(TIMER_INTCLR, 0xDEAD)
    assert bench.rd(TIMER_RIS) == 0 and bench.rd(TIMER_MIS) == 0
    assert log == [(12 * TICK, True), (12 * TICK, False)]


def test_a_masked_counter_queues_no_event_yet_its_zeros_show_in_ris(bench: CounterBench) -> None:
    """With IntEnable = 0 nothing but RIS can see a zero: no event is queued for it, and RIS
    reads 1 from the zero's very cycle (0 one cycle before), after every later zero too."""
    log = bench.record(bench.counter.irq)
    bench.wr(TIMER_LOAD, 9)
    bench.wr(TIMER_CONTROL, CTRL_ENABLE | CTRL_PERIODIC | CTRL_32BIT)
    assert len(bench.events) == 0
    bench.run_to(9 * TICK - 1)
    assert bench.rd(TIMER_RIS) == 0
    bench.run_to(9 * TICK)
    assert bench.rd(TIMER_RIS) == 1 and bench.rd(TIMER_MIS) == 0
    bench.wr(TIMER_INTCLR, 1)
    assert bench.rd(TIMER_RIS) == 0
    bench.run_to(19 * TICK - 1)
    assert bench.rd(TIMER_RIS) == 0 and bench.rd(TIMER_VALUE) == 1
    bench.run_to(1000 * TICK + 5)  # many zeros later: RIS set, Value on its period
    assert bench.rd(TIMER_RIS) == 1 and bench.rd(TIMER_VALUE) == 9 - 1000 % 10
    assert len(bench.events) == 0 and log == []


def test_a_masked_free_running_counter_lets_the_board_idle(bench: CounterBench) -> None:
    """A free-running counter with its interrupt masked (a guest's idle timer) leaves the
    event queue empty; unmasking it raises the line at once for the zero already reached and
    queues the next zero, 2**32 ticks after the first."""
    log = bench.record(bench.counter.irq)
    bench.wr(TIMER_CONTROL, CTRL_ENABLE | CTRL_32BIT)
    assert len(bench.events) == 0
    bench.run_to(MASK_32 * TICK + 7)
    assert bench.rd(TIMER_RIS) == 1 and log == []
    bench.wr(TIMER_CONTROL, CTRL_ENABLE | CTRL_32BIT | CTRL_INTEN)
    assert log == [(MASK_32 * TICK + 7, True)]
    assert bench.events.peek() == (MASK_32 + (1 << 32)) * TICK


def test_reprogramming_load_cancels_the_old_event(bench: CounterBench) -> None:
    """Writing Load mid-count restarts from the new value; the old expiry never fires."""
    log = bench.record(bench.counter.irq)
    bench.wr(TIMER_LOAD, 999)
    bench.wr(TIMER_CONTROL, PERIODIC_32)
    bench.run_to(500 * TICK + 123)
    bench.wr(TIMER_LOAD, 99)
    assert bench.rd(TIMER_VALUE) == 99
    assert len(bench.events) == 1
    bench.run_to(700 * TICK)
    assert log == [(599 * TICK + 123, True)]


def test_disable_freezes_and_enable_resumes(bench: CounterBench) -> None:
    """Clearing Enable holds the value; setting it again resumes with a fresh tick phase."""
    log = bench.record(bench.counter.irq)
    bench.wr(TIMER_LOAD, 100)
    bench.wr(TIMER_CONTROL, PERIODIC_32)
    bench.run_to(30 * TICK + 400)
    bench.wr(TIMER_CONTROL, PERIODIC_32 & ~CTRL_ENABLE)
    assert len(bench.events) == 0
    bench.run_to(500 * TICK)
    assert bench.rd(TIMER_VALUE) == 70
    bench.wr(TIMER_CONTROL, PERIODIC_32)
    bench.run_to(1000 * TICK)
    assert log == [(570 * TICK, True)]


def test_load_zero_while_enabled_interrupts_immediately(bench: CounterBench) -> None:
    """Per the TRM, writing 0 to Load of a running timer raises the interrupt at once."""
    log = bench.record(bench.counter.irq)
    bench.wr(TIMER_CONTROL, PERIODIC_32)
    bench.run_to(2 * TICK + 5)
    bench.wr(TIMER_LOAD, 0)
    assert log == [(2 * TICK + 5, True)]
    assert bench.rd(TIMER_VALUE) == 0
    assert len(bench.events) == 0  # reload value 0: the timer rests at 0
