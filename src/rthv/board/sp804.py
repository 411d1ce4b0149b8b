"""ARM SP804 dual timer: two ``Sp804Counter``s behind one register map, one interrupt each
and their OR.

The counters' timing and registers are described in ``sp804_counter``. The device adds:

* Before any access, a zero whose event is due but not dispatched yet (the access is made
  inside a running slice) is run first, so the access sees it as the hardware would.
* IntClr, which every timer interrupt handler writes, reads the time only if a zero may be due
  before the slice's horizon; otherwise it clears without asking the slice how far it got.
* Only word-aligned offsets are registers; sub-word reads return the addressed bytes.
* An access the model does not implement (a reserved offset, the integration test registers,
  a read of write-only IntClr, a write to a read-only register, an unaligned write) reads 0 or
  is ignored, and is reported as a ``GuestError``.
"""

from __future__ import annotations

from typing import Final

from rthv.board.clock import VirtualClock
from rthv.board.events import EventQueue
from rthv.board.guest_errors import Access, GuestError, GuestErrorSink, ignore_guest_errors
from rthv.board.signal import Signal
from rthv.board.sp804_counter import (
    TIMER_BGLOAD,
    TIMER_CONTROL,
    TIMER_INTCLR,
    TIMER_LOAD,
    TIMER_MIS,
    TIMER_RIS,
    TIMER_VALUE,
    Sp804Counter,
)

# Counter 1's registers at 0x00, counter 2's at 0x20.
TIMER_STRIDE: Final = 0x20
TIMER_COUNT: Final = 2
TIMER_READABLE: Final = frozenset(
    {TIMER_LOAD, TIMER_VALUE, TIMER_CONTROL, TIMER_RIS, TIMER_MIS, TIMER_BGLOAD}
)
TIMER_WRITABLE: Final = frozenset({TIMER_LOAD, TIMER_CONTROL, TIMER_INTCLR, TIMER_BGLOAD})

# Integration test registers (read as zero, writes ignored).
TIMER_ITCR: Final = 0xF00
TIMER_ITOP: Final = 0xF04

# PrimeCell identification: TimerPeriphID0-3 then TimerPCellID0-3.
PERIPH_ID_BASE: Final = 0xFE0
ID_BYTES: Final = (0x04, 0x18, 0x14, 0x00, 0x0D, 0xF0, 0x05, 0xB1)
ID_END: Final = PERIPH_ID_BASE + 4 * len(ID_BYTES)  # the end of the register map


class Sp804Timer:
    """ARM SP804 dual timer with one interrupt per counter and their OR (``combined_irq``)."""

    def __init__(
        self,
        clock: VirtualClock,
        events: EventQueue,
        timclk_hz: int = 1_000_000,
        name: str = "sp804",
        on_error: GuestErrorSink = ignore_guest_errors,
    ) -> None:
        if timclk_hz <= 0:
            raise ValueError(f"TIMCLK frequency must be positive, got {timclk_hz}")
        self.name = name
        self.timclk_hz = timclk_hz
        self._clock = clock
        self._on_error = on_error
        self._timers = tuple(
            Sp804Counter(clock, events, timclk_hz, f"{name}.timer{i + 1}")
            for i in range(TIMER_COUNT)
        )
        self._irq1, self._irq2 = self._timers[0].irq, self._timers[1].irq
        self.irq: tuple[Signal, Signal] = (self._irq1, self._irq2)
        self.combined_irq = Signal(f"{name}.combined_irq")
        for timer_irq in self.irq:
            timer_irq.connect(self._combine)

    def _combine(self, _level: bool) -> None:
        self.combined_irq.set(self._irq1.level or self._irq2.level)

    def _catch_up(self, now: int) -> None:
        for timer in self._timers:
            event = timer.event
            if event is not None and event.when <= now:
                timer.catch_up(now)

    def _catch_up_before(self, horizon: int) -> None:
        """``_catch_up`` for an access that needs no time itself: the time is read (from the
        running slice, which costs) only if a zero may be due, one before ``horizon``."""
        for timer in self._timers:
            event = timer.event
            if event is not None and event.when < horizon:
                self._catch_up(self._clock.now())
                return

    def read(self, offset: int, size: int) -> int:
        """Read a register; Value is computed from the exact current cycle."""
        if offset & ~3 not in READABLE_OFFSETS:
            why = _unimplemented(offset & ~3, "read")
            self._guest_error("read", offset, size, why or "no such register")
            return 0
        now = self._clock.now()
        self._catch_up(now)
        word = self._read_word(offset & ~3, now)
        return (word >> (8 * (offset & 3))) & ((1 << (8 * size)) - 1)

    def _read_word(self, offset: int, now: int) -> int:
        if offset < TIMER_STRIDE * TIMER_COUNT:
            return self._timers[offset // TIMER_STRIDE].read(offset % TIMER_STRIDE, now)
        if PERIPH_ID_BASE <= offset < ID_END:
            return ID_BYTES[(offset - PERIPH_ID_BASE) // 4]
        return 0  # not reached: _unimplemented() turned away every other offset

    def write(self, offset: int, size: int, value: int) -> None:
        """Write a register; unaligned, read-only and unknown offsets are ignored (and reported)."""
        if offset not in WRITABLE_OFFSETS:
            why = "unaligned" if offset & 3 else _unimplemented(offset, "write")
            self._guest_error("write", offset, size, why or "no such register")
            return
        timer, reg = self._timers[offset // TIMER_STRIDE], offset % TIMER_STRIDE
        if reg == TIMER_INTCLR:  # what every interrupt handler writes: no time needed...
            horizon = self._clock.horizon()
            if timer.lazy_zero < horizon:  # ...unless a zero kept without event may be due
                now = self._clock.now()
                self._catch_up(now)
                timer.settle(now)
            else:
                self._catch_up_before(horizon)
            timer.clear()
            return
        now = self._clock.now()
        self._catch_up(now)
        timer.write(reg, value & ((1 << (8 * size)) - 1), now)

    def _guest_error(self, access: Access, offset: int, size: int, why: str) -> None:
        self._on_error(GuestError(self.name, access, offset, size, why))


def _unimplemented(offset: int, access: Access) -> str | None:
    """Why the word-aligned ``offset`` has no register for ``access``; None if it has one."""
    if offset < TIMER_STRIDE * TIMER_COUNT:
        reg = offset % TIMER_STRIDE
        if reg in (TIMER_READABLE if access == "read" else TIMER_WRITABLE):
            return None
        if reg in TIMER_READABLE | TIMER_WRITABLE:
            return "write-only register" if access == "read" else "read-only register"
        return "no such register"
    if offset in (TIMER_ITCR, TIMER_ITOP):
        return "integration test register, not modelled"
    if PERIPH_ID_BASE <= offset < ID_END:
        return None if access == "read" else "read-only register"
    return "no such register"


# The word offsets with a register to read, to write (``_unimplemented`` says why the others
# have none): looked up at every access.
READABLE_OFFSETS: Final = frozenset(
    offset for offset in range(0, ID_END, 4) if _unimplemented(offset, "read") is None
)
WRITABLE_OFFSETS: Final = frozenset(
    offset for offset in range(0, ID_END, 4) if _unimplemented(offset, "write") is None
)
