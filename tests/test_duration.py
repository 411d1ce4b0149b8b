"""Durations on the command line: exact parsing into nanoseconds and readable formatting."""

from __future__ import annotations

from fractions import Fraction

import pytest

from rthv.tools.duration import format_ns, parse_duration


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("2s", 2_000_000_000),
        ("10ms", 10_000_000),
        ("250us", 250_000),
        ("7ns", 7),
        ("0s", 0),
        ("1.5ms", 1_500_000),
        ("0.1s", 100_000_000),
        ("0.001us", 1),
        ("1.25ns", Fraction(5, 4)),
        ("0.3ns", Fraction(3, 10)),
        ("12 ms", 12_000_000),
        ("  3us\t", 3_000),
        ("007ms", 7_000_000),
    ],
)
def test_parse_duration_is_exact(text: str, ns: int | Fraction) -> None:
    """Each unit scales exactly; decimals stay exact fractions, never floats."""
    value = parse_duration(text)
    assert isinstance(value, Fraction)
    assert value == ns


def test_parse_duration_avoids_binary_rounding() -> None:
    """0.1 s plus 0.2 s is exactly 0.3 s, unlike with floats."""
    assert parse_duration("0.1s") + parse_duration("0.2s") == parse_duration("0.3s")


@pytest.mark.parametrize(
    "text",
    ["", "10", "ms", "-1ms", "+1ms", "1.ms", ".5ms", "1e3ns", "1 min", "10MS", "1,5ms", "1ms 2ms"],
)
def test_parse_duration_rejects_malformed_text(text: str) -> None:
    """Missing units, signs, exponents, bare dots and unknown units are refused with a hint."""
    with pytest.raises(ValueError) as error:
        parse_duration(text)
    assert str(error.value) == f"bad duration {text!r}: use a number and a unit (s, ms, us, ns)"


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "0 ns"),
        (1, "1 ns"),
        (999, "999 ns"),
        (Fraction(5, 4), "1.25 ns"),
        (1_000, "1 us"),
        (1_500, "1.5 us"),
        (999_999, "999.999 us"),
        (1_000_000, "1 ms"),
        (10_000_000, "10 ms"),
        (1_000_000_000, "1 s"),
        (90_000_000_000, "90 s"),
        (Fraction(1, 3) * 10**9, "333.333 ms"),
        (1_234_567_891, "1.23457 s"),
    ],
)
def test_format_ns_picks_the_largest_whole_unit(ns: int | Fraction, text: str) -> None:
    """The unit is the largest with at least one whole unit; six significant digits."""
    assert format_ns(ns) == text


def test_format_round_trips_through_parse() -> None:
    """A formatted short duration parses back to the same value."""
    for ns in (3, 1_500, 2_000_000, 5_000_000_000):
        assert parse_duration(format_ns(ns).replace(" ", "")) == ns
