"""Virtual time: executed instructions -> cycles -> nanoseconds, never host time."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

NS_PER_S = 1_000_000_000


class VirtualClock:
    """The board's single time base, counted in CPU cycles.

    Time advances only when the CPU retires instructions (``cpi`` cycles each), when the board
    idles to the next event (WFI), or when a caller charges cycles explicitly (hypervisor work).
    ``now()`` is exact even inside an MMIO callback in the middle of a run slice: the run loop
    installs a probe that reports the instructions retired so far in the current slice.
    """

    def __init__(self, frequency_hz: int = 1_000_000_000, cpi: int = 1) -> None:
        if frequency_hz <= 0:
            raise ValueError(f"clock frequency must be positive, got {frequency_hz}")
        if cpi <= 0:
            raise ValueError(f"cycles per instruction must be positive, got {cpi}")
        self.frequency_hz = frequency_hz
        self.cpi = cpi
        self._committed = 0
        self._probe: Callable[[], int] | None = None

    def now(self) -> int:
        """Current virtual time in cycles, including the running slice."""
        if self._probe is None:
            return self._committed
        return self._committed + self._probe() * self.cpi

    def attach_probe(self, probe: Callable[[], int] | None) -> None:
        """Install (or remove) the source of instructions retired in the running slice."""
        self._probe = probe

    def commit_instructions(self, count: int) -> None:
        """Add the instructions of a finished slice to committed time."""
        self._committed += count * self.cpi

    def advance_to(self, cycles: int) -> None:
        """Idle forward to ``cycles`` (never backwards)."""
        if self._probe is not None:
            raise RuntimeError("cannot jump time while a slice is running")
        if cycles > self._committed:
            self._committed = cycles

    def charge(self, cycles: int) -> None:
        """Add ``cycles`` of work that executes no guest instruction (e.g. a world switch)."""
        if cycles < 0:
            raise ValueError(f"cannot charge negative cycles: {cycles}")
        self._committed += cycles

    def instructions_until(self, cycles: int) -> int:
        """Instructions that may run before time reaches ``cycles`` (at least 0)."""
        gap = cycles - self.now()
        return max(0, -(-gap // self.cpi))

    def to_ns(self, cycles: int) -> Fraction:
        """Exact nanoseconds for ``cycles``."""
        return Fraction(cycles * NS_PER_S, self.frequency_hz)

    def from_ns(self, ns: int | Fraction) -> int:
        """Cycles for ``ns`` nanoseconds, rounded up to a whole cycle."""
        exact = Fraction(ns) * self.frequency_hz / NS_PER_S
        return -(-exact.numerator // exact.denominator)

    def ticks_to_cycles(self, ticks: int, tick_hz: int) -> int:
        """Cycles at which ``ticks`` periods of a ``tick_hz`` clock have elapsed (rounded up)."""
        return -(-(ticks * self.frequency_hz) // tick_hz)

    def cycles_to_ticks(self, cycles: int, tick_hz: int) -> int:
        """Whole periods of a ``tick_hz`` clock elapsed after ``cycles``."""
        return (cycles * tick_hz) // self.frequency_hz
