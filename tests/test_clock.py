"""VirtualClock: cycles from retired instructions, idling and charges; exact unit conversions."""

from __future__ import annotations

from fractions import Fraction

import pytest

from rthv.board.clock import NS_PER_S, VirtualClock


def test_defaults_are_one_ghz_and_one_cycle_per_instruction() -> None:
    """A new clock runs at 1 GHz, 1 CPI, and starts at cycle 0."""
    clock = VirtualClock()
    assert (clock.frequency_hz, clock.cpi, clock.now()) == (1_000_000_000, 1, 0)
    assert NS_PER_S == 1_000_000_000


def test_commit_counts_cpi_cycles_per_instruction() -> None:
    """Committing a slice of 10 instructions at CPI 3 adds 30 cycles."""
    clock = VirtualClock(cpi=3)
    clock.commit_instructions(10)
    assert clock.now() == 30
    clock.commit_instructions(1)
    assert clock.now() == 33


def test_now_includes_the_running_slice_through_the_probe() -> None:
    """With a probe attached, now() adds the slice's retired instructions times CPI."""
    clock = VirtualClock(cpi=2)
    clock.commit_instructions(5)
    retired = [0]
    clock.attach_probe(lambda: retired[0])
    assert clock.now() == 10
    retired[0] = 7
    assert clock.now() == 24
    clock.attach_probe(None)
    assert clock.now() == 10


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
    clock.attach_probe(lambda: 3)
    with pytest.raises(RuntimeError, match="cannot jump time while a slice is running"):
        clock.advance_to(1000)
    assert clock.now() == 3


def test_charge_adds_cycles_and_rejects_negative() -> None:
    """Hypervisor work is charged in cycles, independent of CPI; negative charges fail."""
    clock = VirtualClock(cpi=4)
    clock.charge(7)
    clock.charge(0)
    assert clock.now() == 7
    with pytest.raises(ValueError, match="cannot charge negative cycles: -1"):
        clock.charge(-1)
    assert clock.now() == 7


def test_instructions_until_rounds_up_with_cpi_above_one() -> None:
    """At CPI 3, reaching cycle 10 takes 4 instructions, cycle 9 three; the past gives 0."""
    clock = VirtualClock(cpi=3)
    assert clock.instructions_until(10) == 4
    assert clock.instructions_until(9) == 3
    assert clock.instructions_until(1) == 1
    assert clock.instructions_until(0) == 0
    clock.commit_instructions(5)  # now = 15
    assert clock.instructions_until(10) == 0
    assert clock.instructions_until(16) == 1
    assert clock.instructions_until(18) == 1
    assert clock.instructions_until(19) == 2


def test_instructions_until_counts_from_the_probe() -> None:
    """The gap is measured from now(), including the running slice."""
    clock = VirtualClock(cpi=2)
    clock.attach_probe(lambda: 4)  # now = 8
    assert clock.instructions_until(20) == 6
    assert clock.instructions_until(8) == 0


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
    ("frequency_hz", "cpi", "message"),
    [
        (0, 1, "clock frequency must be positive, got 0"),
        (-5, 1, "clock frequency must be positive, got -5"),
        (1000, 0, "cycles per instruction must be positive, got 0"),
        (1000, -2, "cycles per instruction must be positive, got -2"),
    ],
)
def test_constructor_rejects_non_positive_values(frequency_hz: int, cpi: int, message: str) -> None:
    """A zero or negative frequency or CPI is refused with the offending value."""
    with pytest.raises(ValueError) as error:
        VirtualClock(frequency_hz, cpi)
    assert str(error.value) == message
