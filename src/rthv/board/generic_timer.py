"""ARMv7 generic timer (CP15 c14) as one CPU sees it: physical and virtual timers.

CNTPCT is derived from virtual time, ``clock.cycles_to_ticks(clock.now(), frequency_hz)``, so
it is exact at any moment. Each timer's condition is ``counter >= CVAL`` (unsigned 64-bit, the
virtual counter being ``CNTPCT - CNTVOFF`` modulo 2**64); its output level is
``ENABLE && !IMASK && ISTATUS``. When a timer is enabled and its condition not yet met, an
event is scheduled at the exact cycle the counter reaches CVAL; any write that changes CVAL,
CTL or CNTVOFF cancels and reschedules it. As in QEMU, ISTATUS reads 0 while ENABLE is 0 (the
architecture leaves it UNKNOWN). CNTFRQ is a plain register initialised to the counter
frequency: writing it does not change the rate, exactly as on hardware.

The CPU reaches these registers through trapped MRC/MCR/MRRC/MCRR, hence a method API:
``read_register`` returns what the access would put in the guest's register(s) -- 32-bit
registers as unsigned 32-bit patterns (a negative TVAL reads as its two's complement), 64-bit
registers as unsigned 64-bit values for the caller to split into Rt (low) and Rt2 (high).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import ClassVar, Final

from rthv.board.clock import VirtualClock
from rthv.board.events import Event, EventQueue
from rthv.board.signal import Signal

CTL_ENABLE: Final = 1 << 0
CTL_IMASK: Final = 1 << 1
CTL_ISTATUS: Final = 1 << 2
CTL_WRITABLE: Final = CTL_ENABLE | CTL_IMASK

MASK_32: Final = (1 << 32) - 1
MASK_64: Final = (1 << 64) - 1


class GenericTimerRegister(StrEnum):
    """Names of the generic timer registers reachable through CP15 c14."""

    CNTPCT = "CNTPCT"
    CNTVCT = "CNTVCT"
    CNTFRQ = "CNTFRQ"
    CNTP_CTL = "CNTP_CTL"
    CNTP_CVAL = "CNTP_CVAL"
    CNTP_TVAL = "CNTP_TVAL"
    CNTV_CTL = "CNTV_CTL"
    CNTV_CVAL = "CNTV_CVAL"
    CNTV_TVAL = "CNTV_TVAL"
    CNTVOFF = "CNTVOFF"


# Key: (coproc, opc1, CRn, CRm, opc2, is_64bit). MRC/MCR p15, opc1, Rt, CRn, CRm, opc2 use
# all fields; MRRC/MCRR p15, opc1, Rt, Rt2, CRm have no CRn/opc2, which are 0 in the key.
CoprocessorKey = tuple[int, int, int, int, int, bool]

COPROCESSOR_MAP: Final[dict[CoprocessorKey, GenericTimerRegister]] = {
    (15, 0, 14, 0, 0, False): GenericTimerRegister.CNTFRQ,
    (15, 0, 14, 2, 0, False): GenericTimerRegister.CNTP_TVAL,
    (15, 0, 14, 2, 1, False): GenericTimerRegister.CNTP_CTL,
    (15, 0, 14, 3, 0, False): GenericTimerRegister.CNTV_TVAL,
    (15, 0, 14, 3, 1, False): GenericTimerRegister.CNTV_CTL,
    (15, 0, 0, 14, 0, True): GenericTimerRegister.CNTPCT,
    (15, 1, 0, 14, 0, True): GenericTimerRegister.CNTVCT,
    (15, 2, 0, 14, 0, True): GenericTimerRegister.CNTP_CVAL,
    (15, 3, 0, 14, 0, True): GenericTimerRegister.CNTV_CVAL,
    (15, 4, 0, 14, 0, True): GenericTimerRegister.CNTVOFF,
}


def _signed32(value: int) -> int:
    """Interpret the low 32 bits of ``value`` as a two's complement number."""
    value &= MASK_32
    return value - (1 << 32) if value & (1 << 31) else value


class _Timer:
    """One comparator (physical or virtual) with its CTL and CVAL."""

    def __init__(self, owner: GenericTimer, name: str) -> None:
        self._owner = owner
        self.name = name
        self.irq = Signal(name)
        self.ctl = 0
        self.cval = 0
        self._event: Event | None = None
        self._expiry = f"{name}.expiry"
        self.on_update: Callable[[int], None] | None = None  # hears CTL (with ISTATUS)

    def count(self) -> int:
        """This timer's view of the counter."""
        return self._owner.count_for(self)

    def met(self) -> bool:
        """ISTATUS: enabled and the counter has reached CVAL."""
        return bool(self.ctl & CTL_ENABLE) and self.count() >= self.cval

    def read_ctl(self) -> int:
        return self.ctl | (CTL_ISTATUS if self.met() else 0)

    def tval(self) -> int:
        """Signed TVAL: CVAL minus the counter, truncated to 32 bits."""
        return _signed32(self.cval - self.count())

    def catch_up(self, now: int) -> None:
        """Handle an expiry that is due but whose event has not been dispatched yet."""
        if self._event is not None and self._event.when <= now:
            self._owner.events.cancel(self._event)
            self.update()

    def update(self) -> None:
        """Recompute the output level and reschedule the expiry event."""
        events = self._owner.events
        events.cancel(self._event)
        self._event = None
        met = self.met()
        self.irq.set(met and not self.ctl & CTL_IMASK)
        if self.ctl & CTL_ENABLE and not met:
            when = self._owner.cycle_of_physical(self._owner.counter() + self.cval - self.count())
            self._event = events.schedule(when, self.update, name=self._expiry)
        if self.on_update is not None:
            self.on_update(self.read_ctl())


class GenericTimer:
    """Deterministic ARMv7 generic timer of one CPU: counter, physical and virtual timers."""

    coprocessor_map: ClassVar[dict[CoprocessorKey, GenericTimerRegister]] = COPROCESSOR_MAP

    def __init__(
        self,
        clock: VirtualClock,
        events: EventQueue,
        frequency_hz: int = 62_500_000,
        name: str = "generic_timer",
    ) -> None:
        if frequency_hz <= 0:
            raise ValueError(f"counter frequency must be positive, got {frequency_hz}")
        self.clock = clock
        self.events = events
        self.frequency_hz = frequency_hz
        self.name = name
        self.cntfrq = frequency_hz
        self.cntvoff = 0
        self._phys = _Timer(self, f"{name}.phys_irq")
        self._virt = _Timer(self, f"{name}.virt_irq")
        self.phys_irq = self._phys.irq
        self.virt_irq = self._virt.irq

    # -- counters ---------------------------------------------------------------------------

    def counter(self) -> int:
        """CNTPCT: counter ticks elapsed in virtual time."""
        return self.clock.cycles_to_ticks(self.clock.now(), self.frequency_hz) & MASK_64

    def virtual_counter(self) -> int:
        """CNTVCT: CNTPCT minus CNTVOFF, modulo 2**64."""
        return (self.counter() - self.cntvoff) & MASK_64

    def count_for(self, timer: _Timer) -> int:
        """The counter a timer compares against."""
        return self.virtual_counter() if timer is self._virt else self.counter()

    def cycle_of_physical(self, ticks: int) -> int:
        """First cycle at which CNTPCT reads ``ticks``."""
        return self.clock.ticks_to_cycles(ticks, self.frequency_hz)

    @staticmethod
    def lookup(
        coproc: int, opc1: int, crn: int, crm: int, opc2: int, is_64bit: bool
    ) -> GenericTimerRegister | None:
        """Register addressed by a coprocessor access, or None if it is not a timer register."""
        return COPROCESSOR_MAP.get((coproc, opc1, crn, crm, opc2, is_64bit))

    # -- register access --------------------------------------------------------------------

    def _catch_up(self) -> None:
        now = self.clock.now()
        self._phys.catch_up(now)
        self._virt.catch_up(now)

    def read_register(self, name: GenericTimerRegister | str) -> int:
        """Value an MRC/MRRC of register ``name`` returns (unsigned, 32 or 64 bits)."""
        reg = name if isinstance(name, GenericTimerRegister) else GenericTimerRegister(name)
        self._catch_up()
        if reg is GenericTimerRegister.CNTPCT:
            return self.counter()
        if reg is GenericTimerRegister.CNTVCT:
            return self.virtual_counter()
        if reg is GenericTimerRegister.CNTFRQ:
            return self.cntfrq
        if reg is GenericTimerRegister.CNTVOFF:
            return self.cntvoff
        timer = self._timer_of(reg)
        if reg in (GenericTimerRegister.CNTP_CTL, GenericTimerRegister.CNTV_CTL):
            return timer.read_ctl()
        if reg in (GenericTimerRegister.CNTP_CVAL, GenericTimerRegister.CNTV_CVAL):
            return timer.cval
        return timer.tval() & MASK_32

    def write_register(self, name: GenericTimerRegister | str, value: int) -> None:
        """Perform an MCR/MCRR of ``value`` to register ``name``; counters are read-only."""
        reg = name if isinstance(name, GenericTimerRegister) else GenericTimerRegister(name)
        self._catch_up()
        if reg in (GenericTimerRegister.CNTPCT, GenericTimerRegister.CNTVCT):
            return
        if reg is GenericTimerRegister.CNTFRQ:
            self.cntfrq = value & MASK_32
            return
        if reg is GenericTimerRegister.CNTVOFF:
            self.cntvoff = value & MASK_64
            self._virt.update()
            return
        timer = self._timer_of(reg)
        if reg in (GenericTimerRegister.CNTP_CTL, GenericTimerRegister.CNTV_CTL):
            timer.ctl = value & CTL_WRITABLE
        elif reg in (GenericTimerRegister.CNTP_CVAL, GenericTimerRegister.CNTV_CVAL):
            timer.cval = value & MASK_64
        else:
            timer.cval = (timer.count() + _signed32(value)) & MASK_64
        timer.update()

    def mirror_virtual(self, ctl: int, cval: int) -> None:
        """Take CNTV_CTL and CNTV_CVAL as a CPU that runs them natively now holds them."""
        self._catch_up()
        self._virt.ctl = ctl & CTL_WRITABLE
        self._virt.cval = cval & MASK_64
        self._virt.update()

    def virtual_enabled(self) -> bool:
        """CNTV_CTL.ENABLE as this model holds it."""
        return bool(self._virt.ctl & CTL_ENABLE)

    def on_virtual_update(self, listener: Callable[[int], None] | None) -> None:
        """Call ``listener(CNTV_CTL)`` whenever the virtual timer's state is recomputed, so
        that a CPU running the timer natively shows the same ISTATUS."""
        self._virt.on_update = listener

    def _timer_of(self, reg: GenericTimerRegister) -> _Timer:
        if reg in (
            GenericTimerRegister.CNTV_CTL,
            GenericTimerRegister.CNTV_CVAL,
            GenericTimerRegister.CNTV_TVAL,
        ):
            return self._virt
        return self._phys

    def tval(self, virtual: bool = False) -> int:
        """Signed TVAL of the physical (or virtual) timer, for tests and tracing."""
        self._catch_up()
        return (self._virt if virtual else self._phys).tval()
