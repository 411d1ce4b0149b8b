"""The framework's machinery: VM records, guarded policy calls, failure and fallback, timers."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import TypeVar

from rthv.board.clock import VirtualClock
from rthv.board.events import EventQueue
from rthv.hv.scheduling.api import (
    SchedulerPolicy,
    TimerCallback,
    VmHandle,
    VmState,
    describe_policy,
)
from rthv.hv.scheduling.budget import BudgetTimers
from rthv.hv.scheduling.errors import (
    PolicyParameterError,
    SchedulerPluginError,
    SchedulerStateError,
)
from rthv.hv.scheduling.services import PolicyServices
from rthv.hv.scheduling.stats import (
    DeadlineMiss,
    PolicyFailure,
    SchedulerStats,
    Totals,
    VmAccount,
    snapshot,
)

T = TypeVar("T")
SwitchListener = Callable[[VmHandle | None, VmHandle | None], None]
MissListener = Callable[[DeadlineMiss], None]

MAX_RESCHEDULE_ROUNDS = 100  # request_reschedule() rounds in a row before the policy is faulty
MAX_TIMER_CALLBACKS_PER_INSTANT = 10_000  # policy timer callbacks at one cycle before "storm"


class _Replaced(Exception):
    """Internal: the active policy failed and the fallback has taken over."""


class SchedulerCore:
    """State and guarded machinery under ``Scheduler``; the seam itself is in ``framework``."""

    def __init__(
        self,
        policy: SchedulerPolicy,
        clock: VirtualClock,
        events: EventQueue,
        *,
        fallback: SchedulerPolicy | None = None,
    ) -> None:
        if fallback is policy:
            raise ValueError("the fallback policy must be a different object than the policy")
        self.clock = clock
        self.events = events
        self._policy = policy
        self._fallback = fallback
        self._services = PolicyServices(self, policy)
        self._vms: list[VmHandle] = []
        self._fallback_params: dict[VmHandle, dict[str, object]] = {}
        self._accounts: dict[VmHandle, VmAccount] = {}
        self._budgets = BudgetTimers(events, self._consumed, clock.now, self._run_timer)
        self._totals = Totals()
        self._current: VmHandle | None = None
        self._announced: VmHandle | None = None
        self._announcing = False
        self._started = False
        self._broken: SchedulerPluginError | None = None
        self._reschedule_requested = False
        self._storm_at = -1
        self._storm_count = 0
        self._switch_listeners: list[SwitchListener] = []
        self._miss_listeners: list[MissListener] = []
        self._notify("init()", policy.init, self._services)

    # -- views and listeners --------------------------------------------------------------------

    @property
    def current(self) -> VmHandle | None:
        """The VM that should hold the CPU, or None: the physical CPU idles."""
        return self._current

    @property
    def policy(self) -> SchedulerPolicy:
        """The active policy (the fallback after a failure)."""
        return self._policy

    @property
    def vms(self) -> tuple[VmHandle, ...]:
        """Every VM added, in order."""
        return tuple(self._vms)

    def on_switch(self, listener: SwitchListener) -> None:
        """Call ``listener(old, new)`` at every change of ``current`` (None = idle)."""
        self._switch_listeners.append(listener)

    def on_deadline_miss(self, listener: MissListener) -> None:
        """Call ``listener(miss)`` whenever a policy reports a deadline miss."""
        self._miss_listeners.append(listener)

    def stats(self) -> SchedulerStats:
        """A snapshot of the accounting: per VM and in total."""
        policy = describe_policy(self._policy)
        return snapshot(self.clock.now(), policy, self._accounts, self._totals)

    # -- operations, switching out, announcing ------------------------------------------------

    @contextmanager
    def _operation(self) -> Iterator[None]:
        if self._broken is not None:
            message = f"the scheduler stopped after a failure: {self._broken}"
            raise SchedulerStateError(message) from self._broken
        try:
            yield
        finally:
            self._announce()

    def _check_started(self, what: str) -> None:
        if not self._started:
            raise SchedulerStateError(f"{what}() before start()")

    def _settle(self) -> None:
        raise NotImplementedError  # Scheduler decides

    def _leave_cpu(self, vm: VmHandle) -> None:
        now = self.clock.now()
        self._accounts[vm].switch_out(now)
        self._budgets.switched_out(vm)
        self._current = None
        self._totals.idle_since = now

    def _announce(self) -> None:
        if self._announcing:
            return  # the outer loop announces the final state
        self._announcing = True
        try:
            while self._announced is not self._current:
                old, new = self._announced, self._current
                self._announced = new
                self._totals.switches += 1
                for listener in list(self._switch_listeners):
                    listener(old, new)
        finally:
            self._announcing = False

    # -- guarded policy calls, failure and fallback -------------------------------------------

    def _call(
        self,
        label: str,
        fn: Callable[..., T],
        *args: object,
        config: bool = False,
        undo: Callable[[], None] | None = None,
    ) -> T:
        policy = self._policy
        try:
            return fn(*args)
        except Exception as exc:
            if config and isinstance(exc, PolicyParameterError):
                raise  # a configuration answer from allocate/change_params, not a fault
            if undo is not None:
                undo()  # take back the tentative state before anyone else looks
            self._fail(policy, label, f"raised {type(exc).__name__}: {exc}", exc)
            raise _Replaced from exc

    def _configure(
        self, vm: VmHandle, label: str, fn: Callable[..., object], params: Mapping[str, object]
    ) -> None:
        try:
            vm.params = self._call(label, fn, vm, dict(params), config=True)
        except PolicyParameterError as exc:
            raise PolicyParameterError(
                f"VM '{vm.name}': {exc}", parameter=exc.parameter, problem=exc.problem
            ) from None

    def _notify(self, label: str, fn: Callable[..., object], *args: object) -> None:
        with suppress(_Replaced):
            self._call(label, fn, *args)

    def _fail(
        self, policy: SchedulerPolicy, label: str, problem: str, cause: Exception | None = None
    ) -> None:
        role = "fallback policy" if policy is self._fallback else "policy"
        message = f"scheduler {role} {describe_policy(policy)} failed in {label}: {problem}"
        self._services.close()
        self._budgets.clear()
        fallback = self._fallback if policy is not self._fallback else None
        replaced_by = describe_policy(fallback) if fallback is not None else None
        failure = PolicyFailure(
            self.clock.now(), describe_policy(policy), label, message, replaced_by
        )
        self._totals.failures.append(failure)
        if fallback is None:
            self._broken = SchedulerPluginError(message)
            raise self._broken from cause
        self._activate(fallback)

    def _activate(self, policy: SchedulerPolicy) -> None:
        self._policy = policy
        self._services = PolicyServices(self, policy)
        self._call("init()", policy.init, self._services)
        for vm in self._vms:
            if vm.state is not VmState.STOPPED:
                params = self._fallback_params[vm]
                vm.params = self._call(f"allocate({vm.name!r})", policy.allocate, vm, params)
        if self._started:
            running = [self._current] if self._current is not None else []
            ready = [vm for vm in self._vms if vm.state is VmState.READY]
            for vm in running + ready:
                self._call(f"enque({vm.name!r})", policy.enque, vm)

    # -- timers, budgets, accounting (used by PolicyServices) -----------------------------------

    def _consumed(self, vm: VmHandle) -> int:
        return self._accounts[vm].consumed(self.clock.now())

    def _account(self, vm: VmHandle) -> VmAccount:
        account = self._accounts.get(vm)
        if account is None:
            raise SchedulerStateError(f"{vm!r} is not a VM of this scheduler")
        return account

    def _run_timer(self, label: str, callback: TimerCallback) -> None:
        if self._broken is not None:
            return
        now = self.clock.now()
        if now == self._storm_at:
            self._storm_count += 1
        else:
            self._storm_at, self._storm_count = now, 1
        with self._operation():
            try:
                if self._storm_count > MAX_TIMER_CALLBACKS_PER_INSTANT:
                    count = MAX_TIMER_CALLBACKS_PER_INSTANT
                    problem = f"more than {count} timer callbacks at cycle {now} (self re-arming?)"
                    self._fail(self._policy, label, problem)
                else:
                    self._call(label, callback)
            except _Replaced:
                pass
            if self._started:
                self._settle()

    def _record_miss(self, vm: VmHandle, deadline: int, detail: str) -> None:
        self._account(vm).deadline_misses += 1
        miss = DeadlineMiss(vm.name, deadline, self.clock.now(), detail)
        self._totals.misses.append(miss)
        for listener in list(self._miss_listeners):
            listener(miss)
