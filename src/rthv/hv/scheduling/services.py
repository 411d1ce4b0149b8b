"""The services one policy gets from the framework; closed when the policy is replaced."""

from __future__ import annotations

from fractions import Fraction
from typing import Protocol

from rthv.board.clock import VirtualClock
from rthv.board.events import Event, EventQueue
from rthv.hv.scheduling.api import (
    SchedulerPolicy,
    SchedulerServices,
    TimerCallback,
    TimerHandle,
    VmHandle,
    describe_policy,
)
from rthv.hv.scheduling.errors import SchedulerStateError
from rthv.hv.scheduling.stats import VmAccount

TIMER_EVENT_PRIORITY = 0  # same-time order against device events: by arming sequence


class ServiceHost(Protocol):
    """The scheduler as the services see it (``framework.Scheduler``)."""

    clock: VirtualClock
    events: EventQueue

    @property
    def current(self) -> VmHandle | None:
        """The VM holding the CPU, or None."""
        ...

    def account(self, vm: VmHandle) -> VmAccount:
        """The accounting record of ``vm``."""
        ...

    def request_reschedule(self) -> None:
        """One more ``schedule()`` round once the current callback returns."""
        ...

    def set_budget(self, vm: VmHandle, cycles: int, callback: TimerCallback) -> None:
        """Call ``callback`` once ``vm`` has run ``cycles`` more cycles."""
        ...

    def drop_budget(self, vm: VmHandle) -> None:
        """Drop the budget timer of ``vm``."""
        ...

    def run_timer(self, label: str, callback: TimerCallback) -> None:
        """Run a due policy timer guarded, then reschedule."""
        ...

    def record_miss(self, vm: VmHandle, deadline: int, detail: str) -> None:
        """Record a deadline miss of ``vm``."""
        ...


class PolicyServices(SchedulerServices):
    """``SchedulerServices`` for one policy of one ``Scheduler``; tracks the policy's timers."""

    def __init__(self, scheduler: ServiceHost, policy: SchedulerPolicy) -> None:
        self._scheduler = scheduler
        self._policy = policy
        self.active = True
        self.timers: set[TimerHandle] = set()

    def _check(self) -> None:
        if not self.active:
            raise SchedulerStateError(
                f"policy {describe_policy(self._policy)} was replaced: its services are closed"
            )

    def close(self) -> None:
        """Retire the policy: cancel its pending timers; later calls fail."""
        self.active = False
        for handle in self.timers:
            handle.cancel()
        self.timers.clear()

    def timer_events(self) -> list[Event]:
        """The board's events of this policy's timers still to fire."""
        return [handle.event for handle in self.timers if handle.pending]

    @property
    def frequency_hz(self) -> int:
        """CPU clock frequency: cycles per second."""
        return self._scheduler.clock.frequency_hz

    def now(self) -> int:
        """Current virtual time in CPU cycles."""
        return self._scheduler.clock.now()

    def cycles(self, ns: int | Fraction) -> int:
        """Cycles in ``ns`` nanoseconds, rounded up."""
        return self._scheduler.clock.from_ns(ns)

    def ns(self, cycles: int) -> Fraction:
        """Exact nanoseconds in ``cycles``."""
        return self._scheduler.clock.to_ns(cycles)

    def set_timer(self, when: int, callback: TimerCallback, name: str = "") -> TimerHandle:
        """Call ``callback`` at cycle ``when`` (not in the past), then reschedule."""
        self._check()
        now = self.now()
        if isinstance(when, bool) or not isinstance(when, int):
            raise TypeError(f"set_timer: time must be an int number of cycles, got {when!r}")
        if when < now:
            raise ValueError(f"set_timer({name!r}): cycle {when} is in the past (now {now})")

        def fire() -> None:
            self.timers.discard(handle)
            if self.active:
                self._scheduler.run_timer(f"timer {name!r}", callback)

        event = self._scheduler.events.schedule(
            when, fire, priority=TIMER_EVENT_PRIORITY, name=f"sched {name}"
        )
        handle = TimerHandle(when, name, event)
        self.timers.add(handle)
        return handle

    def cancel_timer(self, handle: TimerHandle | None) -> None:
        """Cancel a timer; None or an already fired timer is ignored."""
        if handle is not None:
            handle.cancel()
            self.timers.discard(handle)

    def request_reschedule(self) -> None:
        """Ask for one more ``schedule()`` round once the current callback returns."""
        self._check()
        self._scheduler.request_reschedule()

    def running(self) -> VmHandle | None:
        """The VM holding the CPU now, or None when the CPU idles."""
        return self._scheduler.current

    def consumed(self, vm: VmHandle) -> int:
        """CPU cycles ``vm`` has run in total, including the slice running now."""
        return self._scheduler.account(vm).consumed(self.now())

    def set_budget_timer(self, vm: VmHandle, cycles: int, callback: TimerCallback) -> None:
        """Call ``callback`` once ``vm`` has *run* ``cycles`` more cycles; replaces its previous."""
        if not self.active:
            self._check()  # (raises: the policy was replaced)
        if isinstance(cycles, bool) or not isinstance(cycles, int) or cycles < 0:
            raise ValueError(f"set_budget_timer: cycles must be an int >= 0, got {cycles!r}")
        self._scheduler.set_budget(vm, cycles, callback)

    def cancel_budget_timer(self, vm: VmHandle) -> None:
        """Drop the budget timer of ``vm`` if any."""
        self._scheduler.drop_budget(vm)

    def release_job(self, vm: VmHandle, deadline: int) -> None:
        """Record that a job of periodic ``vm`` was released with absolute ``deadline``."""
        account = self._scheduler.account(vm)
        account.jobs_released += 1
        account.current_deadline = deadline

    def complete_job(self, vm: VmHandle) -> None:
        """Record that the current job of ``vm`` finished."""
        self._scheduler.account(vm).jobs_completed += 1

    def report_deadline_miss(self, vm: VmHandle, deadline: int, detail: str) -> None:
        """Record that a job of ``vm`` missed ``deadline``; ``detail`` says how."""
        self._scheduler.record_miss(vm, deadline, detail)
