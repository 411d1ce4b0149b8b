"""Guarding the policy: every callback runs guarded; a failing policy is retired and replaced.

An exception from a callback, or a fault the scheduler finds (a bad ``schedule()`` answer, a
reschedule or timer storm), fails the active policy: the failure is recorded and, with a
fallback policy, the scheduler hands every VM over to it (``PolicyReplaced`` unwinds the
operation that was running); without one the scheduler stops with a ``SchedulerPluginError``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from rthv.board.clock import VirtualClock
from rthv.hv.scheduling.api import SchedulerPolicy, describe_policy
from rthv.hv.scheduling.errors import PolicyParameterError, SchedulerPluginError
from rthv.hv.scheduling.stats import PolicyFailure

T = TypeVar("T")
MAX_TIMER_CALLBACKS_PER_INSTANT = 10_000  # policy timer callbacks at one cycle before "storm"


class PolicyReplaced(Exception):
    """The active policy failed and the fallback has taken over: the operation stops here."""


class PolicyGuard:
    """The active policy (the fallback after a failure) and how its callbacks are called.

    ``retire`` is called when a policy fails (close its services, drop its timers) and
    ``hand_over(fallback)`` when the fallback takes over (init, allocate, enque).
    """

    def __init__(
        self,
        policy: SchedulerPolicy,
        fallback: SchedulerPolicy | None,
        clock: VirtualClock,
        failures: list[PolicyFailure],
        retire: Callable[[], None],
        hand_over: Callable[[SchedulerPolicy], None],
    ) -> None:
        if fallback is policy:
            raise ValueError("the fallback policy must be a different object than the policy")
        self.policy = policy
        self.fallback = fallback
        self.broken: SchedulerPluginError | None = None
        self._clock = clock
        self._failures = failures
        self._retire = retire
        self._hand_over = hand_over
        self._storm_at = -1
        self._storm_count = 0

    @property
    def on_fallback(self) -> bool:
        """True once the fallback policy is the active one."""
        return self.policy is self.fallback

    def guarded(
        self,
        label: str,
        fn: Callable[..., T],
        *args: object,
        config: bool = False,
        undo: Callable[[], None] | None = None,
    ) -> T:
        """``fn(*args)``, a callback of the active policy; a fault fails the policy."""
        policy = self.policy
        try:
            return fn(*args)
        except Exception as exc:
            if config and isinstance(exc, PolicyParameterError):
                raise  # a configuration answer from allocate/change_params, not a fault
            if undo is not None:
                undo()  # take back the tentative state before anyone else looks
            self.raised(policy, label, exc)
            raise PolicyReplaced from exc

    def notify(self, label: str, fn: Callable[..., object], *args: object) -> None:
        """A guarded callback whose failure ends nothing but the policy (``guarded`` with the
        ``PolicyReplaced`` that follows a recorded failure caught, written out: this runs on
        every trap that reaches the scheduler)."""
        policy = self.policy
        try:
            fn(*args)
        except Exception as exc:
            self.raised(policy, label, exc)  # the fallback took over; the failure is recorded

    def raised(self, policy: SchedulerPolicy, label: str, exc: Exception) -> None:
        """``policy``'s callback ``label`` raised ``exc``: it fails (``fail``)."""
        self.fail(policy, label, f"raised {type(exc).__name__}: {exc}", exc)

    def fail(
        self, policy: SchedulerPolicy, label: str, problem: str, cause: Exception | None = None
    ) -> None:
        """``policy`` failed in ``label``: record it, then hand over to the fallback or stop."""
        role = "fallback policy" if policy is self.fallback else "policy"
        message = f"scheduler {role} {describe_policy(policy)} failed in {label}: {problem}"
        self._retire()
        fallback = self.fallback if policy is not self.fallback else None
        replaced_by = describe_policy(fallback) if fallback is not None else None
        failure = PolicyFailure(
            self._clock.now(), describe_policy(policy), label, message, replaced_by
        )
        self._failures.append(failure)
        if fallback is None:
            self.broken = SchedulerPluginError(message)
            raise self.broken from cause
        self.policy = fallback
        self._hand_over(fallback)

    def timer_storm(self) -> str | None:
        """Count a policy timer callback now; the problem if there are too many at one cycle."""
        now = self._clock.now()
        if now == self._storm_at:
            self._storm_count += 1
        else:
            self._storm_at, self._storm_count = now, 1
        if self._storm_count <= MAX_TIMER_CALLBACKS_PER_INSTANT:
            return None
        count = MAX_TIMER_CALLBACKS_PER_INSTANT
        return f"more than {count} timer callbacks at cycle {now} (self re-arming?)"
