"""The policy API: what a VM scheduling policy implements and what the framework offers it.

The paper's hypervisor has no fixed scheduling policy: it defines six callbacks (modelled on the
RTEMS scheduler framework) and the user implements them. Here a policy is a subclass of
``SchedulerPolicy``. The framework (``framework.Scheduler``) owns every VM's state and calls:

* ``init(services)`` once, when the scheduler is built (boot);
* ``allocate(vm, params)`` once per VM when it is set up: validate and keep its parameters;
* ``enque(vm)`` when a VM becomes runnable (at start, or a waiting VM got an interrupt);
* ``yield_(vm)`` when the running VM stops and waits (it executed WFI);
* ``block(vm)`` when the running VM is switched out for another (or for idle) while still runnable;
* ``schedule()`` after every state change: return the VM to run next, or None to idle.

``yield_`` carries a trailing underscore only because ``yield`` is a Python keyword. The ready set
a policy keeps holds every runnable VM *including the running one*: ``schedule`` chooses among
them without removing its choice, ``block`` tells the policy its choice was switched out (it may
reorder), ``yield_`` takes the VM out. A VM's ``state`` is already updated when a callback runs.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import ClassVar

from rthv.board.events import Event
from rthv.hv.scheduling.errors import PolicyParameterError
from rthv.hv.scheduling.vm_handle import VmHandle, VmState

__all__ = [
    "SchedulerPolicy",
    "SchedulerServices",
    "TimerCallback",
    "TimerHandle",
    "VmHandle",
    "VmState",
    "describe_policy",
]

TimerCallback = Callable[[], None]


class TimerHandle:
    """An armed policy timer; pass it to ``SchedulerServices.cancel_timer``."""

    __slots__ = ("_event", "name", "when")

    def __init__(self, when: int, name: str, event: Event) -> None:
        self.when = when
        self.name = name
        self._event = event

    @property
    def event(self) -> Event:
        """The board's event that fires the timer."""
        return self._event

    @property
    def pending(self) -> bool:
        """True until the timer fired or was cancelled."""
        return not self._event.cancelled

    def cancel(self) -> None:
        """Drop the timer (it will not fire)."""
        self._event.cancelled = True


class SchedulerServices(ABC):
    """What the framework offers a policy: virtual time, timers, CPU accounting, job records."""

    @property
    @abstractmethod
    def frequency_hz(self) -> int:
        """CPU clock frequency: cycles per second."""

    @abstractmethod
    def now(self) -> int:
        """Current virtual time in CPU cycles."""

    @abstractmethod
    def cycles(self, ns: int | Fraction) -> int:
        """Cycles in ``ns`` nanoseconds, rounded up."""

    @abstractmethod
    def ns(self, cycles: int) -> Fraction:
        """Exact nanoseconds in ``cycles``."""

    @abstractmethod
    def set_timer(self, when: int, callback: TimerCallback, name: str = "") -> TimerHandle:
        """Call ``callback`` at cycle ``when`` (not in the past), then reschedule."""

    @abstractmethod
    def cancel_timer(self, handle: TimerHandle | None) -> None:
        """Cancel a timer; None or an already fired timer is ignored."""

    @abstractmethod
    def request_reschedule(self) -> None:
        """Ask for one more ``schedule()`` round once the current callback returns."""

    @abstractmethod
    def running(self) -> VmHandle | None:
        """The VM holding the CPU now, or None when the CPU idles."""

    @abstractmethod
    def consumed(self, vm: VmHandle) -> int:
        """CPU cycles ``vm`` has run in total, including the slice running now."""

    @abstractmethod
    def set_budget_timer(self, vm: VmHandle, cycles: int, callback: TimerCallback) -> None:
        """Call ``callback`` once ``vm`` has *run* ``cycles`` more cycles; replaces its previous."""

    @abstractmethod
    def cancel_budget_timer(self, vm: VmHandle) -> None:
        """Drop the budget timer of ``vm`` if any."""

    @abstractmethod
    def release_job(self, vm: VmHandle, deadline: int) -> None:
        """Record that a job of periodic ``vm`` was released with absolute ``deadline``."""

    @abstractmethod
    def complete_job(self, vm: VmHandle) -> None:
        """Record that the current job of ``vm`` finished."""

    @abstractmethod
    def report_deadline_miss(self, vm: VmHandle, deadline: int, detail: str) -> None:
        """Record that a job of ``vm`` missed ``deadline``; ``detail`` says how."""


class SchedulerPolicy(ABC):
    """Base class of every scheduling policy, built-in or plug-in (the paper's six callbacks)."""

    name: ClassVar[str] = ""
    origin: str | None = None  # "file.py:Class" for plug-ins, set by the registry

    @abstractmethod
    def init(self, services: SchedulerServices) -> None:
        """Called once at boot, before any other callback; keep ``services``."""

    @abstractmethod
    def allocate(self, vm: VmHandle, params: Mapping[str, object]) -> object:
        """Validate and keep ``vm``'s parameters; return the record stored in ``vm.params``."""

    @abstractmethod
    def enque(self, vm: VmHandle) -> None:
        """``vm`` became runnable (state READY): add it to the ready set."""

    @abstractmethod
    def yield_(self, vm: VmHandle) -> None:
        """The running ``vm`` stopped and waits (state WAITING): take it out of the ready set."""

    @abstractmethod
    def block(self, vm: VmHandle) -> None:
        """The running ``vm`` was switched out while still runnable (state READY)."""

    @abstractmethod
    def schedule(self) -> VmHandle | None:
        """The runnable VM to run next, or None to idle; called on every state change."""

    def remove(self, vm: VmHandle) -> None:  # noqa: B027 - optional hook, no-op by default
        """``vm`` was stopped for good (state STOPPED): forget it (default: nothing)."""

    def change_params(self, vm: VmHandle, params: Mapping[str, object]) -> object:
        """Apply new parameters at run time; return the new record (default: refuse)."""
        raise PolicyParameterError(
            f"policy {describe_policy(self)} cannot change parameters at run time"
        )


def describe_policy(policy: SchedulerPolicy) -> str:
    """How error messages name ``policy``: its name and, for plug-ins, file and class."""
    label = f"'{policy.name or type(policy).__name__}'"
    return f"{label} ({policy.origin})" if policy.origin else label
