"""One counter of the ARM SP804 dual timer: a 32/16-bit down-counter in exact virtual time.

Timing convention (what a guest observes)
------------------------------------------
Each counter decrements once per *prescaled tick* (1, 16 or 256 TIMCLK periods). A counter
(re)started at cycle ``t0`` -- by a Load write, by setting Enable, or by a prescale change --
makes its k-th decrement at exactly ``t0 + clock.ticks_to_cycles(k * prescale, timclk_hz)``.

* The interrupt (RIS) is raised when the counter *reaches* 0, i.e. on the 1 -> 0 decrement:
  a counter loaded with ``L`` interrupts ``L`` prescaled ticks after the load.
* The value 0 is a real counter state held for one tick; the *next* tick reloads ("wrapping
  past zero"). A periodic timer therefore interrupts every ``Load + 1`` ticks after the first
  interrupt, and a free-running timer every 2**32 (2**16 in 16-bit mode) ticks.
* One-shot counters stop at 0 (Enable stays set) until Load is written again.
* With IntEnable = 0 a zero only sets RIS, which nothing sees but a read of RIS: no event is
  queued for it (a guest's masked free-running counter would keep the board from ever idling,
  with an event every 2**32 ticks). RIS is then the stored bit or "a zero has come since the
  count was last brought up to date"; every write brings it up to date first, so the registers
  and the line read exactly as with an event at each zero.

The fact this rests on: the SP804 TRM (ARM DDI 0271) describes periodic mode as "reloading
the original value after wrapping past zero" and TimerXLoad as "the value used to reload the
counter when ... the current count reaches zero"; the reload happens on the TIMCLK edge after
zero, so 0 occupies one count and the period is Load + 1. QEMU (hw/timer/arm_timer.c) differs:
its ptimer runs with the legacy policy, *without* ``PTIMER_POLICY_WRAP_AFTER_ONE_PERIOD``
("counter stays with 0 for one period before wrapping"), so QEMU reloads at the instant of
reaching 0 and its period is Load ticks. We follow the TRM; a QEMU cross-check must allow one
tick per period of difference.

Other choices, all following the TRM unless stated:

* Writing Load reloads the counter at once (even in free-running mode, where QEMU loads the
  maximum instead) and restarts the prescaler phase; Load = 0 while enabled raises the
  interrupt immediately (TRM: "If TimerXLoad is set to 0 then an interrupt is generated").
* BGLoad changes the reload value without touching the counter; Load and BGLoad both read back
  the current reload value.
* Setting Enable resumes from the held value (QEMU reloads instead); clearing it freezes it.
* A periodic counter whose reload value is 0 stops at 0 after its interrupt instead of
  re-interrupting every tick (QEMU also stops such a timer).
* In 16-bit mode the counter and reload value are the low 16 bits; Value reads 16 bits.
* Prescale 0b11 (undefined in the TRM) divides by 1, as in QEMU.
"""

from __future__ import annotations

from typing import Final

from rthv.board.clock import UNBOUNDED, VirtualClock
from rthv.board.events import Event, EventQueue
from rthv.board.signal import Signal

# A counter's register offsets, from its base in the device's register map.
TIMER_LOAD: Final = 0x00
TIMER_VALUE: Final = 0x04
TIMER_CONTROL: Final = 0x08
TIMER_INTCLR: Final = 0x0C
TIMER_RIS: Final = 0x10
TIMER_MIS: Final = 0x14
TIMER_BGLOAD: Final = 0x18

# Control register bits.
CTRL_ONESHOT: Final = 1 << 0
CTRL_32BIT: Final = 1 << 1
CTRL_PRESCALE_SHIFT: Final = 2
CTRL_PRESCALE_MASK: Final = 0b11 << CTRL_PRESCALE_SHIFT
CTRL_INTEN: Final = 1 << 5
CTRL_PERIODIC: Final = 1 << 6
CTRL_ENABLE: Final = 1 << 7
CTRL_WRITABLE: Final = 0xEF  # bit 4 is reserved
CTRL_RESET: Final = CTRL_INTEN
VALUE_RESET: Final = 0xFFFF_FFFF

PRESCALE_DIVISORS: Final = (1, 16, 256, 1)
MASK_32: Final = 0xFFFF_FFFF
MASK_16: Final = 0xFFFF


class Sp804Counter:
    """One SP804 counter and its registers; its value is derived from virtual time on demand."""

    def __init__(self, clock: VirtualClock, events: EventQueue, hz: int, name: str) -> None:
        self._clock = clock
        self._events = events
        self._hz = hz
        self._zero_name = f"{name}.zero"
        self.irq = Signal(f"{name}.irq")
        self._load = 0
        self._control = CTRL_RESET
        self.ris = False
        # Counting state: the counter became ``_v0`` at prescaled tick ``_n0`` counted from
        # cycle ``_anchor``. While disabled ``_v0`` is simply the held value.
        self._anchor = 0
        self._n0 = 0
        self._v0 = VALUE_RESET
        self.event: Event | None = None  # the next zero, while one is coming (IntEnable = 1)
        # The cycle of the next zero while IntEnable = 0 (else UNBOUNDED): no event is queued
        # for it, as nothing but a read of RIS can see it (``settle`` catches up with it).
        self.lazy_zero = UNBOUNDED
        self._due_tick = 0
        self._configure()

    # -- derived configuration -------------------------------------------------------------

    @property
    def load(self) -> int:
        """The reload value (TimerXLoad and TimerXBGLoad read it back)."""
        return self._load

    @property
    def control(self) -> int:
        """TimerXControl."""
        return self._control

    def _configure(self) -> None:
        """Derive the counting parameters from Control and Load, after either changed: plain
        ints, read at every zero and every access."""
        control = self._control
        self._enabled = bool(control & CTRL_ENABLE)
        self._inten = bool(control & CTRL_INTEN)
        self._mask = MASK_32 if control & CTRL_32BIT else MASK_16
        self._prescale = PRESCALE_DIVISORS[(control & CTRL_PRESCALE_MASK) >> CTRL_PRESCALE_SHIFT]
        # The value loaded on the tick after 0 in wrapping modes, and the ticks from one zero
        # to the next (0: the counter stops at 0, one-shot or reloading 0).
        self._reload = self._load & self._mask if control & CTRL_PERIODIC else self._mask
        wraps = not control & CTRL_ONESHOT and self._reload != 0
        self._period = self._reload + 1 if wraps else 0

    # -- time arithmetic --------------------------------------------------------------------

    def _ticks(self, now: int) -> int:
        """Prescaled ticks elapsed since the anchor."""
        return self._clock.cycles_to_ticks(now - self._anchor, self._hz) // self._prescale

    def _tick_cycle(self, tick: int) -> int:
        """Exact cycle at which prescaled tick ``tick`` (from the anchor) happens."""
        return self._anchor + self._clock.ticks_to_cycles(tick * self._prescale, self._hz)

    def _value_after(self, k: int) -> int:
        """Counter value ``k`` ticks after it held ``_v0``."""
        if k <= self._v0:
            return self._v0 - k
        if not self._period:
            return 0
        return self._reload - (k - self._v0 - 1) % self._period

    def value(self, now: int) -> int:
        """Current counter value."""
        if not self._enabled:
            return self._v0
        return self._value_after(self._ticks(now) - self._n0)

    # -- state changes ----------------------------------------------------------------------

    def catch_up(self, now: int) -> None:
        """Run an interrupt that is due but whose event has not been dispatched yet."""
        while self.event is not None and self.event.when <= now:
            self._events.cancel(self.event)
            self._reach_zero()

    def _restart(self, now: int, value: int) -> None:
        """Hold ``value`` and, if enabled, count from it with a fresh prescaler phase."""
        self._anchor, self._n0, self._v0 = now, 0, value & self._mask

    def _rebase(self, now: int) -> None:
        """Re-express the running count from the current tick (prescaler phase kept)."""
        current = self.value(now)
        if self._enabled:
            self._n0 = self._ticks(now)
        self._v0 = current & self._mask

    def _reach_zero(self) -> None:
        self.event = None
        self._n0, self._v0 = self._due_tick, 0
        self.ris = True
        self.irq.set(self._inten)  # ``_update_irq``, inlined: RIS is set
        self._schedule()

    def _plan(self) -> None:
        """After a change: the next zero as an event, or as ``lazy_zero`` (IntEnable = 0)."""
        self.lazy_zero = UNBOUNDED
        self._schedule()

    def settle(self, now: int) -> None:
        """With IntEnable = 0, catch up with the zeros reached by ``now``: RIS is set and the
        count re-expressed from now (as a zero's event would have done), before a change."""
        if self.lazy_zero <= now:
            self.ris = True
            self._rebase(now)
            self._plan()

    def _schedule(self) -> None:
        """(Re)schedule the event for the next time the counter reaches 0; with IntEnable = 0
        only note its cycle (``lazy_zero``, which ``_plan`` resets first)."""
        if self.event is not None:
            self._events.cancel(self.event)
            self.event = None
        if not self._enabled:
            return
        if self._v0 > 0:
            tick = self._n0 + self._v0
        elif self._period:
            tick = self._n0 + self._period
        else:
            return
        self._due_tick = tick
        if self._inten:
            self.event = self._events.schedule(
                self._tick_cycle(tick), self._reach_zero, name=self._zero_name
            )
        else:
            self.lazy_zero = self._tick_cycle(tick)

    def _update_irq(self) -> None:
        self.irq.set(self.ris and self._inten)

    def masked(self) -> bool:
        """Masked interrupt status (MIS)."""
        return self.ris and self._inten

    # -- register interface -----------------------------------------------------------------

    def read(self, reg: int, now: int) -> int:
        """Read one of this counter's registers."""
        if reg in (TIMER_LOAD, TIMER_BGLOAD):
            return self._load
        if reg == TIMER_VALUE:
            return self.value(now)
        if reg == TIMER_CONTROL:
            return self._control
        if reg == TIMER_RIS:  # (a zero due at ``now`` is seen, as its event would be)
            return int(self.ris or self.lazy_zero <= now)
        if reg == TIMER_MIS:
            return int(self.masked())
        return 0

    def clear(self) -> None:
        """Write IntClr: the interrupt falls; the count and its next zero stay as they are."""
        self.ris = False
        self._update_irq()

    def write(self, reg: int, value: int, now: int) -> None:
        """Write one of this counter's registers."""
        if self.lazy_zero <= now:
            self.settle(now)
        if reg == TIMER_INTCLR:
            self.clear()
            return
        value &= MASK_32
        if reg == TIMER_LOAD:
            self._load = value
            self._configure()
            self._restart(now, value)
            if self._enabled and self._v0 == 0:
                self.ris = True
        elif reg == TIMER_BGLOAD:
            self._rebase(now)
            self._load = value
            self._configure()
        elif reg == TIMER_CONTROL:
            self._write_control(value & CTRL_WRITABLE, now)
        else:
            return
        self._plan()
        self._update_irq()

    def _write_control(self, new: int, now: int) -> None:
        held = self.value(now)
        ticks = self._ticks(now) if self._enabled else 0
        old = self._control
        self._control = new
        self._configure()
        starting = bool(new & CTRL_ENABLE) and not old & CTRL_ENABLE
        rephased = (old ^ new) & CTRL_PRESCALE_MASK
        if starting or rephased:
            self._restart(now, held)
        else:
            self._n0, self._v0 = ticks, held & self._mask
