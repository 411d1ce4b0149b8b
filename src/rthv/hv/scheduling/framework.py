"""The scheduling framework: owns VM states, calls the policy's callbacks, guards against faults.

The hypervisor core talks to ``Scheduler`` only through the seam: ``add_vm``, ``start``,
``vm_runnable``, ``vm_waits``, ``vm_stopped``, ``change_params``, ``reschedule``, ``current`` and
the ``on_switch`` listener, through which it performs each world switch ``(old, new)``. Policy
timers are events on the board's EventQueue, so they interleave deterministically with devices.

Every policy callback runs guarded: an exception, a ``schedule()`` result that is not a runnable
VM, or a policy that never settles becomes a ``SchedulerPluginError`` naming the policy, the
callback and the fault. Nothing is committed before the policy has answered, so a failure never
leaves a half-made switch. With a ``fallback`` policy the framework retires the faulty policy
(its timers are cancelled), hands every VM to the fallback and goes on; otherwise it raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress

from rthv.hv.scheduling.api import VmHandle, VmState
from rthv.hv.scheduling.core import (
    MAX_RESCHEDULE_ROUNDS,
    MissListener,
    SchedulerCore,
    SwitchListener,
    _Replaced,
)
from rthv.hv.scheduling.errors import PolicyParameterError, SchedulerStateError
from rthv.hv.scheduling.stats import VmAccount

__all__ = ["MissListener", "Scheduler", "SwitchListener"]


class Scheduler(SchedulerCore):
    """Runs one policy (and an optional fallback) over the VMs of one physical CPU."""

    # -- the seam the hypervisor calls ---------------------------------------------------------

    def add_vm(
        self,
        vm: VmHandle,
        params: Mapping[str, object] | None = None,
        *,
        fallback_params: Mapping[str, object] | None = None,
    ) -> None:
        """Set up ``vm`` (policy ``allocate``); after ``start`` it is enqueued at once."""
        with self._operation():
            if any(v is vm or v.name == vm.name for v in self._vms):
                raise SchedulerStateError(f"VM '{vm.name}' is already added")
            vm._state = VmState.WAITING
            vm.params = None
            self._vms.append(vm)
            self._accounts[vm] = VmAccount()
            self._fallback_params[vm] = dict(fallback_params or {})
            if self._policy is self._fallback:
                params = fallback_params  # the fallback has taken over already
            try:
                self._configure(vm, f"allocate({vm.name!r})", self._policy.allocate, params or {})
            except PolicyParameterError:
                self._vms.remove(vm)
                del self._accounts[vm], self._fallback_params[vm]
                raise
            except _Replaced:
                pass  # the fallback allocated every VM, this one included
            if self._started:
                vm._state = VmState.READY
                self._notify(f"enque({vm.name!r})", self._policy.enque, vm)
                self._settle()

    def start(self) -> None:
        """Boot: every VM becomes READY and is enqueued, then the first VM is picked."""
        with self._operation():
            if self._started:
                raise SchedulerStateError("the scheduler was already started")
            self._started = True
            self._totals.idle_since = self.clock.now()
            ready = [vm for vm in self._vms if vm.state is VmState.WAITING]
            for vm in ready:
                vm._state = VmState.READY
            try:
                for vm in ready:
                    self._call(f"enque({vm.name!r})", self._policy.enque, vm)
            except _Replaced:
                pass  # the fallback was handed every READY VM
            self._settle()

    def vm_runnable(self, vm: VmHandle) -> None:
        """A WAITING ``vm`` got an interrupt: READY, ``enque``, reschedule (else nothing)."""
        with self._operation():
            self._check_started("vm_runnable")
            self._account(vm)
            if vm.state is not VmState.WAITING:
                return
            vm._state = VmState.READY
            self._notify(f"enque({vm.name!r})", self._policy.enque, vm)
            self._settle()

    def vm_waits(self, vm: VmHandle) -> None:
        """The running ``vm`` executed WFI: WAITING, ``yield_``, reschedule."""
        with self._operation():
            self._check_started("vm_waits")
            if vm is not self._current:
                raise SchedulerStateError(
                    f"vm_waits({vm.name!r}): the VM is {vm.state.name}, not the running VM"
                )
            self._leave_cpu(vm)
            vm._state = VmState.WAITING
            self._accounts[vm].waits += 1
            self._notify(f"yield_({vm.name!r})", self._policy.yield_, vm)
            self._settle()

    def vm_stopped(self, vm: VmHandle) -> None:
        """``vm`` faulted or terminated: STOPPED for good, ``remove``, reschedule."""
        with self._operation():
            self._account(vm)
            if vm.state is VmState.STOPPED:
                return
            if vm is self._current:
                self._leave_cpu(vm)
            vm._state = VmState.STOPPED
            self._budgets.drop(vm)
            self._notify(f"remove({vm.name!r})", self._policy.remove, vm)
            if self._started:
                self._settle()

    def change_params(self, vm: VmHandle, params: Mapping[str, object]) -> None:
        """Give ``vm`` new scheduling parameters at run time (policy ``change_params``)."""
        with self._operation():
            self._account(vm)
            if vm.state is VmState.STOPPED:
                raise SchedulerStateError(f"change_params({vm.name!r}): the VM is STOPPED")
            with suppress(_Replaced):
                label = f"change_params({vm.name!r})"
                self._configure(vm, label, self._policy.change_params, params)
            if self._started:
                self._settle()

    def reschedule(self) -> None:
        """Ask the policy which VM runs next and switch to it (nothing before ``start``)."""
        with self._operation():
            if self._started:
                self._settle()

    # -- deciding and switching ----------------------------------------------------------------

    def _settle(self) -> None:
        rounds = 0
        while True:
            self._reschedule_requested = False
            try:
                self._decide()
            except _Replaced:
                continue
            if not self._reschedule_requested:
                return
            rounds += 1
            if rounds >= MAX_RESCHEDULE_ROUNDS:
                problem = f"requested rescheduling {rounds} times in a row without settling"
                self._fail(self._policy, "request_reschedule()", problem)
                rounds = 0

    def _decide(self) -> None:
        policy = self._policy
        choice: object = self._call("schedule()", policy.schedule)
        if choice is not None:
            if not isinstance(choice, VmHandle) or not any(vm is choice for vm in self._vms):
                names = ", ".join(repr(vm.name) for vm in self._vms)
                shown = repr(choice)
                shown = shown if len(shown) <= 60 else shown[:57] + "..."
                problem = f"returned {shown}, which is not one of the VMs ({names})"
                self._fail(policy, "schedule()", problem)
                raise _Replaced
            if not choice.runnable:
                problem = (
                    f"returned VM '{choice.name}', which is {choice.state.name} (not runnable)"
                )
                self._fail(policy, "schedule()", problem)
                raise _Replaced
        old = self._current
        if choice is old:
            return
        if old is not None:
            old._state = VmState.READY  # tentative: block() sees the VM as it will be

            def undo() -> None:
                old._state = VmState.RUNNING

            self._call(f"block({old.name!r})", policy.block, old, undo=undo)
        self._commit(choice if isinstance(choice, VmHandle) else None)

    def _commit(self, new: VmHandle | None) -> None:
        now = self.clock.now()
        old = self._current
        if old is not None:
            self._leave_cpu(old)
            old._state = VmState.READY
            self._accounts[old].preemptions += 1
            self._totals.preemptions += 1
        if new is not None:
            if self._totals.idle_since is not None:
                self._totals.idle_cycles += now - self._totals.idle_since
                self._totals.idle_since = None
            new._state = VmState.RUNNING
            self._accounts[new].switch_in(now)
            self._current = new
            self._budgets.switched_in(new)
