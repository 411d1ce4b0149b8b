"""The scheduling framework: owns VM states, calls the policy's callbacks, guards against faults.

The hypervisor core talks to ``Scheduler`` only through the seam: ``add_vm``, ``start``,
``vm_runnable``, ``vm_waits``, ``vm_stopped``, ``change_params``, ``reschedule``, ``current`` and
the ``on_switch`` listener, through which it performs each world switch ``(old, new, reason)``:
why ``old`` left the CPU, as the scheduler decided it ("wfi", "preempted", "stopped"; "idle"
when the CPU was idle). Policy timers are events on the board's EventQueue, so they interleave
deterministically with devices.

Every policy callback runs guarded (``guard.PolicyGuard``): an exception, a ``schedule()`` result
that is not a runnable VM, or a policy that never settles becomes a ``SchedulerPluginError``
naming the policy, the callback and the fault. Nothing is committed before the policy has
answered, so a failure never leaves a half-made switch. With a ``fallback`` policy the framework
retires the faulty policy (its timers are cancelled), hands every VM to the fallback and goes on;
otherwise it raises. Budget timers, accounting, announcing the switches and the policy's
services are parts of their own (``budget``, ``stats``, ``switches``, ``services``; the words
of a failure: ``failure_text``); the services reach the scheduler through its public methods.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import suppress
from functools import partial
from operator import attrgetter
from typing import Final

from rthv.board.clock import VirtualClock
from rthv.board.events import Event, EventQueue
from rthv.hv.scheduling.api import SchedulerPolicy, TimerCallback, describe_policy
from rthv.hv.scheduling.budget import BudgetTimers
from rthv.hv.scheduling.errors import PolicyParameterError, SchedulerStateError
from rthv.hv.scheduling.failure_text import CallbackLabels, wrong_choice
from rthv.hv.scheduling.guard import PolicyGuard, PolicyReplaced
from rthv.hv.scheduling.services import PolicyServices
from rthv.hv.scheduling.stats import DeadlineMiss, SchedulerStats, Totals, VmAccount, snapshot
from rthv.hv.scheduling.switches import OperationFrame, SwitchAnnouncer, SwitchListener
from rthv.hv.scheduling.vm_handle import VmHandle, VmState

__all__ = ["MissListener", "Scheduler"]

MissListener = Callable[[DeadlineMiss], None]
# request_reschedule() rounds in a row before the policy is faulty.
MAX_RESCHEDULE_ROUNDS: Final = 100


class Scheduler:
    """Runs one policy (and an optional fallback) over the VMs of one physical CPU."""

    def __init__(
        self,
        policy: SchedulerPolicy,
        clock: VirtualClock,
        events: EventQueue,
        *,
        fallback: SchedulerPolicy | None = None,
    ) -> None:
        self.clock = clock
        self.events = events
        self._totals = Totals()
        self._guard = PolicyGuard(
            policy, fallback, clock, self._totals.failures, self._retire, self._hand_over
        )
        self._services = PolicyServices(self, policy)
        self._vms: list[VmHandle] = []
        self._fallback_params: dict[VmHandle, dict[str, object]] = {}
        self._accounts: dict[VmHandle, VmAccount] = {}
        self._labels: dict[VmHandle, CallbackLabels] = {}
        self._budgets = BudgetTimers(events, self.consumed, clock.now, self.run_timer)
        self._current: VmHandle | None = None
        self._started = False
        self._reschedule_requested = False
        # The decided VM, read by C callables alone (no Python frame: announce reads it twice
        # at the end of every operation).
        decided: Callable[[], VmHandle | None] = partial(attrgetter("_current"), self)
        self._switches = SwitchAnnouncer(decided, self._totals)
        self._announce = self._switches.announce
        self._operation = OperationFrame(self._guard, self._announce)
        self._miss_listeners: list[MissListener] = []
        self._guard.notify("init()", policy.init, self._services)

    # -- views and listeners --------------------------------------------------------------------

    @property
    def current(self) -> VmHandle | None:
        """The VM that should hold the CPU, or None: the physical CPU idles."""
        return self._current

    @property
    def policy(self) -> SchedulerPolicy:
        """The active policy (the fallback after a failure)."""
        return self._guard.policy

    @property
    def vms(self) -> tuple[VmHandle, ...]:
        """Every VM added, in order."""
        return tuple(self._vms)

    def timer_events(self) -> list[Event]:
        """The board's events of the timers queued now: the policy's, and the budgets."""
        return self._services.timer_events() + self._budgets.armed_events()

    def on_switch(self, listener: SwitchListener) -> None:
        """Call ``listener(old, new, reason)`` at every change of ``current`` (None = idle)."""
        self._switches.listen(listener)

    def on_deadline_miss(self, listener: MissListener) -> None:
        """Call ``listener(miss)`` whenever a policy reports a deadline miss."""
        self._miss_listeners.append(listener)

    def stats(self) -> SchedulerStats:
        """A snapshot of the accounting: per VM and in total."""
        policy = describe_policy(self.policy)
        return snapshot(self.clock.now(), policy, self._accounts, self._totals)

    # -- the seam the hypervisor calls ---------------------------------------------------------

    def add_vm(
        self,
        vm: VmHandle,
        params: Mapping[str, object] | None = None,
        *,
        fallback_params: Mapping[str, object] | None = None,
    ) -> None:
        """Set up ``vm`` (policy ``allocate``); after ``start`` it is enqueued at once."""
        with self._operation:
            if any(v is vm or v.name == vm.name for v in self._vms):
                raise SchedulerStateError(f"VM '{vm.name}' is already added")
            vm.set_state(VmState.WAITING)
            vm.params = None
            self._vms.append(vm)
            self._accounts[vm] = VmAccount()
            self._labels[vm] = CallbackLabels.of(vm)
            self._fallback_params[vm] = dict(fallback_params or {})
            if self._guard.on_fallback:
                params = fallback_params  # the fallback has taken over already
            try:
                self._configure(vm, f"allocate({vm.name!r})", self.policy.allocate, params or {})
            except PolicyParameterError:
                self._vms.remove(vm)
                del self._accounts[vm], self._fallback_params[vm], self._labels[vm]
                raise
            except PolicyReplaced:
                pass  # the fallback allocated every VM, this one included
            if self._started:
                vm.set_state(VmState.READY)
                self._guard.notify(self._labels[vm].enque, self.policy.enque, vm)
                self._settle()

    def start(self) -> None:
        """Boot: every VM becomes READY and is enqueued, then the first VM is picked."""
        with self._operation:
            if self._started:
                raise SchedulerStateError("the scheduler was already started")
            self._started = True
            self._totals.idle_since = self.clock.now()
            ready = [vm for vm in self._vms if vm.state is VmState.WAITING]
            for vm in ready:
                vm.set_state(VmState.READY)
            try:
                for vm in ready:
                    self._guard.guarded(self._labels[vm].enque, self.policy.enque, vm)
            except PolicyReplaced:
                pass  # the fallback was handed every READY VM
            self._settle()

    def vm_runnable(self, vm: VmHandle) -> None:
        """A WAITING ``vm`` got an interrupt: READY, ``enque``, reschedule (else nothing)."""
        if self._guard.broken is not None:  # (``with self._operation:`` written out, as in
            self._operation.refuse()  # ``vm_waits``: one of these at every wake)
        try:
            if not self._started:
                self._check_started("vm_runnable")
            labels = self._labels.get(vm)
            if labels is None:
                self.account(vm)  # (raises: not a VM of this scheduler)
                return
            if vm.state is not VmState.WAITING:
                return
            vm.set_state(VmState.READY)
            self._guard.notify(labels.enque, self._guard.policy.enque, vm)
            self._settle()
        finally:
            self._announce()

    def vm_waits(self, vm: VmHandle) -> None:
        """The running ``vm`` executed WFI: WAITING, ``yield_``, reschedule."""
        if self._guard.broken is not None:  # (``with self._operation:`` written out)
            self._operation.refuse()
        try:
            if not self._started:
                self._check_started("vm_waits")
            if vm is not self._current:
                raise SchedulerStateError(
                    f"vm_waits({vm.name!r}): the VM is {vm.state.name}, not the running VM"
                )
            self._leave_cpu(vm, "wfi")
            vm.set_state(VmState.WAITING)
            self._accounts[vm].waits += 1
            self._guard.notify(self._labels[vm].yield_, self._guard.policy.yield_, vm)
            self._settle()
        finally:
            self._announce()

    def vm_stopped(self, vm: VmHandle) -> None:
        """``vm`` faulted or terminated: STOPPED for good, ``remove``, reschedule."""
        with self._operation:
            self.account(vm)
            if vm.state is VmState.STOPPED:
                return
            if vm is self._current:
                self._leave_cpu(vm, "stopped")
            vm.set_state(VmState.STOPPED)
            self._budgets.drop(vm)
            self._guard.notify(self._labels[vm].remove, self.policy.remove, vm)
            if self._started:
                self._settle()

    def change_params(self, vm: VmHandle, params: Mapping[str, object]) -> None:
        """Give ``vm`` new scheduling parameters at run time (policy ``change_params``)."""
        with self._operation:
            self.account(vm)
            if vm.state is VmState.STOPPED:
                raise SchedulerStateError(f"change_params({vm.name!r}): the VM is STOPPED")
            with suppress(PolicyReplaced):
                label = f"change_params({vm.name!r})"
                self._configure(vm, label, self.policy.change_params, params)
            if self._started:
                self._settle()

    def reschedule(self) -> None:
        """Ask the policy which VM runs next and switch to it (nothing before ``start``)."""
        with self._operation:
            if self._started:
                self._settle()

    # -- operations, switching out ------------------------------------------------------------

    def _check_started(self, what: str) -> None:
        if not self._started:
            raise SchedulerStateError(f"{what}() before start()")

    def _leave_cpu(self, vm: VmHandle, reason: str) -> None:
        self._switches.left(vm, reason)
        now = self.clock.now()
        self._accounts[vm].switch_out(now)
        self._budgets.switched_out(vm)
        self._current = None
        self._totals.idle_since = now

    # -- failure and fallback (called by the guard) ---------------------------------------------

    def _configure(
        self, vm: VmHandle, label: str, fn: Callable[..., object], params: Mapping[str, object]
    ) -> None:
        try:
            vm.params = self._guard.guarded(label, fn, vm, dict(params), config=True)
        except PolicyParameterError as exc:
            named = PolicyParameterError(
                f"VM '{vm.name}': {exc}", parameter=exc.parameter, problem=exc.problem
            )
            named.__cause__ = None  # (``from None``: compiled code ignores ``from``)
            raise named  # noqa: B904

    def _retire(self) -> None:
        self._services.close()
        self._budgets.clear()

    def _hand_over(self, policy: SchedulerPolicy) -> None:
        self._services = PolicyServices(self, policy)
        self._guard.guarded("init()", policy.init, self._services)
        for vm in self._vms:
            if vm.state is not VmState.STOPPED:
                params = self._fallback_params[vm]
                label = f"allocate({vm.name!r})"
                vm.params = self._guard.guarded(label, policy.allocate, vm, params)
        if self._started:
            running = [self._current] if self._current is not None else []
            ready = [vm for vm in self._vms if vm.state is VmState.READY]
            for vm in running + ready:
                self._guard.guarded(self._labels[vm].enque, policy.enque, vm)

    # -- what the policy's services use ------------------------------------------------------------

    def consumed(self, vm: VmHandle) -> int:
        """CPU cycles ``vm`` has run, including the slice running now."""
        return self._accounts[vm].consumed(self.clock.now())

    def account(self, vm: VmHandle) -> VmAccount:
        """The accounting record of ``vm`` (an error for a VM of another scheduler)."""
        account = self._accounts.get(vm)
        if account is None:
            raise SchedulerStateError(f"{vm!r} is not a VM of this scheduler")
        return account

    def request_reschedule(self) -> None:
        """One more ``schedule()`` round once the current callback returns."""
        self._reschedule_requested = True

    def set_budget(self, vm: VmHandle, cycles: int, callback: TimerCallback) -> None:
        """Call ``callback`` once ``vm`` has run ``cycles`` more cycles."""
        if vm not in self._accounts:
            self.account(vm)  # (raises: not a VM of this scheduler)
        self._budgets.set(vm, cycles, callback, vm is self._current)

    def drop_budget(self, vm: VmHandle) -> None:
        """Drop the budget timer of ``vm`` if any."""
        if vm not in self._accounts:
            self.account(vm)  # (raises: not a VM of this scheduler)
        self._budgets.drop(vm)

    def run_timer(self, label: str, callback: TimerCallback) -> None:
        """A policy timer (or budget) is due: run ``callback`` guarded, then reschedule."""
        if self._guard.broken is not None:
            return
        storm = self._guard.timer_storm()
        with self._operation:
            try:
                if storm is not None:
                    self._guard.fail(self.policy, label, storm)
                else:
                    self._guard.guarded(label, callback)
            except PolicyReplaced:
                pass
            if self._started:
                self._settle()

    def record_miss(self, vm: VmHandle, deadline: int, detail: str) -> None:
        """A policy reports that a job of ``vm`` missed ``deadline``."""
        self.account(vm).deadline_misses += 1
        miss = DeadlineMiss(vm.name, deadline, self.clock.now(), detail)
        self._totals.misses.append(miss)
        for listener in list(self._miss_listeners):
            listener(miss)

    # -- deciding and switching ----------------------------------------------------------------

    def _settle(self) -> None:
        rounds = 0
        while True:
            self._reschedule_requested = False
            try:
                self._decide()
            except PolicyReplaced:
                continue
            if not self._reschedule_requested:
                return
            rounds += 1
            if rounds >= MAX_RESCHEDULE_ROUNDS:
                problem = f"requested rescheduling {rounds} times in a row without settling"
                self._guard.fail(self.policy, "request_reschedule()", problem)
                rounds = 0

    def _decide(self) -> None:
        policy = self._guard.policy
        label = "schedule()"
        # Through ``guarded``, which is never compiled: the watchdog finds a running policy
        # callback by that Python frame (rthv.tools.watchdog). The answer is taken as any
        # object: a plug-in's is checked here, by rthv, not by a compiled type check.
        schedule: Callable[[], object] = policy.schedule
        choice = self._guard.guarded(label, schedule)
        if choice is not None and (
            not isinstance(choice, VmHandle) or choice not in self._vms or not choice.runnable
        ):  # (``in``: by identity)
            self._guard.fail(policy, label, wrong_choice(choice, self._vms))
            raise PolicyReplaced
        old = self._current
        if choice is old:
            return
        if old is not None:
            old.set_state(VmState.READY)  # tentative: block() sees the VM as it will be

            def undo() -> None:
                old.set_state(VmState.RUNNING)

            self._guard.guarded(self._labels[old].block, policy.block, old, undo=undo)
        self._commit(choice if isinstance(choice, VmHandle) else None)

    def _commit(self, new: VmHandle | None) -> None:
        now = self.clock.now()
        old = self._current
        if old is not None:
            self._leave_cpu(old, "preempted")
            old.set_state(VmState.READY)
            self._accounts[old].preemptions += 1
            self._totals.preemptions += 1
        if new is not None:
            if self._totals.idle_since is not None:
                self._totals.idle_cycles += now - self._totals.idle_since
                self._totals.idle_since = None
            new.set_state(VmState.RUNNING)
            account = self._accounts[new]
            account.switch_in(now)
            self._current = new
            # ``switched_in(new)`` with what is at hand: just switched in, the VM has
            # consumed ``account.cycles`` (``account.consumed(now)``).
            self._budgets.switched_in_at(new, now, account.cycles)
