"""Virtual time: executed instructions -> cycles -> nanoseconds, never host time."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Final

NS_PER_S: Final = 1_000_000_000
UNBOUNDED: Final = 1 << 64  # a horizon that bounds nothing
# The engine's clock (_icount.c) keeps frequencies in 64 bits.
MAX_FREQUENCY_HZ: Final = (1 << 64) - 1


class VirtualClock:
    """The board's single time base, counted in CPU cycles.

    Inside, time is kept in *units* of ``1 / units_per_cycle`` cycles, so that instructions may
    cost a fraction of a cycle (``rthv.board.timing``) and still add up exactly. Time advances
    only when the CPU retires instructions (their units), when the board idles to the next
    event (WFI), or when a caller charges cycles explicitly (hypervisor work, device accesses).
    ``now()`` is the whole cycles elapsed, exact even inside an MMIO callback in the middle of a
    run slice: the run loop installs a probe that reports the units retired so far in the
    current slice, and with it the slice's horizon: a cycle that time stays below while the
    slice runs (``horizon``), which a device may compare its next event with instead of asking
    the probe.
    """

    def __init__(self, frequency_hz: int = 1_000_000_000, units_per_cycle: int = 1) -> None:
        if frequency_hz <= 0:
            raise ValueError(f"clock frequency must be positive, got {frequency_hz}")
        if frequency_hz > MAX_FREQUENCY_HZ:
            raise ValueError(f"clock frequency must be below 2**64 Hz, got {frequency_hz}")
        if units_per_cycle <= 0:
            raise ValueError(f"units per cycle must be positive, got {units_per_cycle}")
        self.frequency_hz = frequency_hz
        self.units_per_cycle = units_per_cycle
        self._committed = 0  # units
        self._probe: Callable[[], int] | None = None
        self._horizon = UNBOUNDED  # cycles; while a probe is attached: ``now()`` is below it

    def now_units(self) -> int:
        """Current virtual time in units, including the running slice."""
        if self._probe is None:
            return self._committed
        return self._committed + self._probe()

    def now(self) -> int:
        """Current virtual time in whole cycles, including the running slice."""
        probe = self._probe  # now_units() inlined: read several times per trap
        units = self._committed if probe is None else self._committed + probe()
        return units // self.units_per_cycle

    def start_slice(self, probe: Callable[[], int], horizon: int = UNBOUNDED) -> int:
        """A run slice begins: ``probe`` reports the units it has retired so far; ``horizon`` is
        a cycle that the slice's instructions all start before (its deadline: the run stops at
        the first instruction boundary at or after it), if the run loop knows one. Returns the
        time in units."""
        self._probe = probe
        self._horizon = horizon
        return self._committed

    def end_slice(self, units: int) -> None:
        """The run slice ended having retired ``units``: the probe goes, the units commit."""
        self._probe = None
        self._horizon = UNBOUNDED
        self._committed += units

    def horizon(self) -> int:
        """A cycle that ``now()`` is certainly below, known without asking the probe: between
        slices ``now() + 1``; inside one, its horizon moved on by what was charged since."""
        if self._probe is None:
            return self._committed // self.units_per_cycle + 1
        return self._horizon

    def commit_units(self, units: int) -> None:
        """Add the units of a finished slice (or an emulated instruction) to committed time."""
        self._committed += units

    def advance_to(self, cycles: int) -> None:
        """Idle forward to ``cycles`` (never backwards)."""
        if self._probe is not None:
            raise RuntimeError("cannot jump time while a slice is running")
        target = cycles * self.units_per_cycle
        if target > self._committed:
            self._committed = target

    def charge(self, cycles: int) -> None:
        """Add ``cycles`` of work that executes no guest instruction (e.g. a world switch)."""
        if cycles < 0:
            raise ValueError(f"cannot charge negative cycles: {cycles}")
        self._committed += cycles * self.units_per_cycle
        self._horizon += cycles  # (time jumps by ``cycles``; the slice runs on from there)

    def units_until(self, cycles: int, probed: int | None = None) -> int:
        """Units that may elapse before time reaches ``cycles`` (at least 0). ``probed``: what
        the probe would report now, if the caller has just computed it."""
        if probed is None:
            probe = self._probe  # now_units() inlined: read at every run slice
            probed = 0 if probe is None else probe()
        return max(0, cycles * self.units_per_cycle - self._committed - probed)

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
