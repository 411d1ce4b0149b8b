"""VirtualClock: cycles from retired instructions, idling and charges; exact unit conversions."""

from __future__ import annotations

from fractions import Fraction

import pytest

from rthv.board.clock import MAX_FREQUENCY_HZ, NS_PER_S, UNBOUNDED, VirtualClock


def test_defaults_are_one_ghz_and_one_unit_per_cycle() -> None:
    """A new clock runs at 1 GHz, counts whole cycles, and starts at cycle 0."""
    clock = VirtualClock()
    assert (clock.frequency_hz, clock.units_per_cycle, clock.now()) == (1_000_000_000, 1, 0)
    assert NS_PER_S == 1_000_000_000


def test_a_frequency_is_positive_and_fits_64_bits() -> None:
    """2**64 Hz and more (which the engine's clock would read as 0 or less) are refused, as 0 Hz
    is (test_constructor_rejects_non_positive_values)."""
    assert VirtualClock(MAX_FREQUENCY_HZ).frequency_hz == (1 << 64) - 1
    with pytest.raises(ValueError, match=r"clock frequency must be below 2\*\*64 Hz"):
        VirtualClock(1 << 64)


def test_units_add_up_to_whole_cycles() -> None:
    """At 2 units per cycle (e.g. CPI 1.5: 3 units an instruction), now() floors the units."""
    clock = VirtualClock(units_per_cycle=2)
    clock.commit_units(3)
    assert (clock.now_units(), clock.now()) == (3, 1)
    clock.commit_units(3)
    assert (clock.now_units(), clock.now()) == (6, 3)


def test_now_includes_the_running_slice_through_the_probe() -> None:
    """With a probe attached, now() adds the slice's retired units."""
    clock = VirtualClock(units_per_cycle=2)
    clock.commit_units(10)
    retired = [0]
    clock.start_slice(lambda: retired[0])
    assert clock.now() == 5
    retired[0] = 7
    assert clock.now() == 8
    clock.end_slice(0)
    assert clock.now() == 5


def test_advance_to_moves_forward_only() -> None:
    """Idling jumps forward; a target in the past leaves time where it is."""
    clock = VirtualClock()
    clock.advance_to(500)
    assert clock.now() == 500
    clock.advance_to(100)
    assert clock.now() == 500
    clock.advance_to(500)
    assert clock.now() == 500


def test_advance_to_refuses_while_a_slice_is_running() -> None:
    """Jumping time with a probe attached raises and changes nothing."""
    clock = VirtualClock()
    clock.start_slice(lambda: 3)
    with pytest.raises(RuntimeError, match="cannot jump time while a slice is running"):
        clock.advance_to(1000)
    assert clock.now() == 3


def test_charge_adds_cycles_and_rejects_negative() -> None:
    """Hypervisor work is charged in whole cycles, whatever the unit; negative charges fail."""
    clock = VirtualClock(units_per_cycle=4)
    clock.charge(7)
    clock.charge(0)
    assert (clock.now(), clock.now_units()) == (7, 28)
    with pytest.raises(ValueError, match="cannot charge negative cycles: -1"):
        clock.charge(-1)
    assert clock.now() == 7


def test_units_until_is_the_exact_gap_in_units() -> None:
    """Units until a cycle: measured from now, including the probe; the past gives 0."""
    clock = VirtualClock(units_per_cycle=3)
    assert clock.units_until(10) == 30
    clock.commit_units(5)
    assert clock.units_until(2) == 1
    assert clock.units_until(1) == 0
    clock.start_slice(lambda: 4)  # 9 units: cycle 3
    assert clock.units_until(20) == 51
    assert clock.units_until(3) == 0
    clock.end_slice(0)
    clock.advance_to(4)
    assert clock.now_units() == 12


def test_ns_conversions_are_identity_at_one_ghz() -> None:
    """At 1 GHz a cycle is exactly a nanosecond, both ways."""
    clock = VirtualClock()
    assert clock.to_ns(12345) == Fraction(12345)
    assert clock.from_ns(12345) == 12345
    assert clock.from_ns(Fraction(1, 3)) == 1
    assert clock.from_ns(0) == 0


def test_ns_conversions_are_exact_at_800_mhz() -> None:
    """At 800 MHz a cycle is 5/4 ns; from_ns rounds up to a whole cycle."""
    clock = VirtualClock(800_000_000)
    assert clock.to_ns(1) == Fraction(5, 4)
    assert clock.to_ns(4) == Fraction(5)
    assert clock.to_ns(3) == Fraction(15, 4)
    assert clock.from_ns(5) == 4
    assert clock.from_ns(1) == 1  # 0.8 cycles -> 1
    assert clock.from_ns(6) == 5  # 4.8 cycles -> 5
    assert clock.from_ns(Fraction(5, 4)) == 1
    assert clock.from_ns(NS_PER_S) == 800_000_000
    assert all(clock.from_ns(clock.to_ns(c)) == c for c in range(50))


def test_ticks_to_cycles_rounds_up_and_cycles_to_ticks_rounds_down() -> None:
    """A 24 MHz tick is 41.67 cycles at 1 GHz: tick 1 at cycle 42, tick 3 at 125."""
    clock = VirtualClock()
    hz = 24_000_000
    assert clock.ticks_to_cycles(1, hz) == 42
    assert clock.ticks_to_cycles(3, hz) == 125
    assert clock.ticks_to_cycles(0, hz) == 0
    assert clock.cycles_to_ticks(41, hz) == 0
    assert clock.cycles_to_ticks(42, hz) == 1
    assert clock.cycles_to_ticks(124, hz) == 2
    assert clock.cycles_to_ticks(125, hz) == 3
    assert clock.ticks_to_cycles(5, 62_500_000) == 80
    assert clock.cycles_to_ticks(79, 62_500_000) == 4


@pytest.mark.parametrize(
    ("frequency_hz", "units", "message"),
    [
        (0, 1, "clock frequency must be positive, got 0"),
        (-5, 1, "clock frequency must be positive, got -5"),
        (1000, 0, "units per cycle must be positive, got 0"),
        (1000, -2, "units per cycle must be positive, got -2"),
    ],
)
def test_constructor_rejects_non_positive_values(
    frequency_hz: int, units: int, message: str
) -> None:
    """A zero or negative frequency or unit is refused with the offending value."""
    with pytest.raises(ValueError) as error:
        VirtualClock(frequency_hz, units)
    assert str(error.value) == message


def test_the_horizon_bounds_the_time_without_asking_the_probe() -> None:
    """Between slices the horizon is the next cycle; a slice gives its own (its deadline), which
    a charge moves on by the cycles charged; a slice that gives none bounds nothing."""
    clock = VirtualClock(units_per_cycle=2)
    clock.commit_units(21)
    assert clock.horizon() == 11

    def probe() -> int:
        raise AssertionError("the probe was asked")

    clock.start_slice(probe, 40)
    assert clock.horizon() == 40
    clock.charge(5)
    assert clock.horizon() == 45
    clock.start_slice(probe)
    assert clock.horizon() == UNBOUNDED
    clock.end_slice(0)
    assert clock.horizon() == clock.now() + 1 == 16


def test_a_slice_attaches_its_probe_and_commits_its_units() -> None:
    """start_slice attaches the probe and horizon and gives the time in units; end_slice
    detaches both and commits what the slice retired."""
    clock = VirtualClock(units_per_cycle=2)
    clock.commit_units(6)
    assert clock.start_slice(lambda: 5, 40) == 6
    assert (clock.now(), clock.horizon()) == (5, 40)
    clock.end_slice(5)
    assert (clock.now_units(), clock.horizon()) == (11, 6)


def test_units_until_takes_the_probes_reading_from_a_caller_that_has_it() -> None:
    """Given the probe's reading, units_until does not ask the probe again."""
    clock = VirtualClock(units_per_cycle=3)
    clock.commit_units(6)
    clock.start_slice(lambda: pytest.fail("the probe was asked"))
    assert clock.units_until(10, 9) == 15
    assert clock.units_until(4, 9) == 0
