"""Parsing durations such as ``10ms`` or ``2s`` into exact nanoseconds."""

from __future__ import annotations

import re
from fractions import Fraction

_UNITS = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|ms|us|ns)\s*$")


class DurationError(ValueError):
    """A duration that is not a number with a unit."""


def parse_duration(text: str) -> Fraction:
    """Nanoseconds in ``text`` (a number with one of the units s, ms, us, ns)."""
    match = _PATTERN.match(text)
    if match is None:
        raise DurationError(f"bad duration {text!r}: use a number and a unit (s, ms, us, ns)")
    return Fraction(match.group(1)) * _UNITS[match.group(2)]


def format_ns(ns: Fraction | int) -> str:
    """A readable duration: the largest unit that keeps at least one whole unit."""
    value = Fraction(ns)
    for unit in ("s", "ms", "us"):
        if value >= _UNITS[unit]:
            return f"{float(value / _UNITS[unit]):.6g} {unit}"
    return f"{float(value):.6g} ns"
