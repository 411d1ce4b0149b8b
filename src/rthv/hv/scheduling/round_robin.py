"""Round robin over VMs (the paper's third policy): no priorities, fixed CPU quanta.

Policy parameter ``quantum_us`` (default 1000); a VM may override it with its own per-VM
``quantum_us``. Runnable VMs form one FIFO queue and its head runs. The running VM is switched
out when it waits (WFI: it leaves the queue and rejoins at the tail when it becomes runnable
again) or when its quantum expires (it moves to the tail). The quantum counts only the CPU time
of the running VM (a budget timer), so time spent in other VMs or idle never shortens it; a VM
gets a fresh quantum each time it reaches the head. A VM becoming runnable never preempts.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from rthv.hv.scheduling.api import SchedulerPolicy, SchedulerServices, VmHandle
from rthv.hv.scheduling.errors import SchedulerStateError
from rthv.hv.scheduling.params import ParamReader, check_integer

DEFAULT_QUANTUM_US = 1000


@dataclass(frozen=True)
class RoundRobinParams:
    """A VM's quantum in microseconds."""

    quantum_us: int


class RoundRobinPolicy(SchedulerPolicy):
    """FIFO queue of runnable VMs; the head runs for one quantum of CPU time, then rotates."""

    name = "round-robin"

    def __init__(self, *, quantum_us: int = DEFAULT_QUANTUM_US) -> None:
        self.quantum_us = check_integer(
            quantum_us, "round-robin: quantum_us", "quantum_us", minimum=1
        )
        self._services: SchedulerServices | None = None
        self._quantum: dict[VmHandle, int] = {}  # cycles
        self._queue: deque[VmHandle] = deque()
        self._armed: VmHandle | None = None  # the head whose quantum is counting

    def init(self, services: SchedulerServices) -> None:
        """Keep the services (budget timers count the quanta)."""
        self._services = services

    def allocate(self, vm: VmHandle, params: Mapping[str, object]) -> object:
        """Optional per-VM ``quantum_us`` (default: the policy's)."""
        reader = ParamReader(params, self.name)
        quantum_us = reader.optional_integer("quantum_us", minimum=1) or self.quantum_us
        reader.finish()
        self._quantum[vm] = self._cycles(quantum_us)
        return RoundRobinParams(quantum_us)

    def change_params(self, vm: VmHandle, params: Mapping[str, object]) -> object:
        """A new quantum for the VM, in force from its next quantum."""
        return self.allocate(vm, params)

    def enque(self, vm: VmHandle) -> None:
        """Join the tail of the queue."""
        self._queue.append(vm)

    def yield_(self, vm: VmHandle) -> None:
        """The VM waits: leave the queue; its quantum ends."""
        self._leave(vm)

    def block(self, vm: VmHandle) -> None:
        """Nothing to do: the quantum expiry already moved the VM to the tail."""

    def remove(self, vm: VmHandle) -> None:
        """Forget a stopped VM."""
        self._leave(vm)
        del self._quantum[vm]

    def schedule(self) -> VmHandle | None:
        """The head of the queue; a new head starts a fresh quantum."""
        head = self._queue[0] if self._queue else None
        if head is not None and head is not self._armed:
            services = self._services or self._require()
            if self._armed is not None:
                services.cancel_budget_timer(self._armed)
            self._armed = head
            services.set_budget_timer(head, self._quantum[head], lambda: self._expire(head))
        return head

    def _expire(self, vm: VmHandle) -> None:
        self._armed = None
        if self._queue and self._queue[0] is vm:
            self._queue.rotate(-1)

    def _leave(self, vm: VmHandle) -> None:
        if vm in self._queue:
            self._queue.remove(vm)
        if self._armed is vm:
            (self._services or self._require()).cancel_budget_timer(vm)
            self._armed = None

    def _cycles(self, us: int) -> int:
        return self._require().cycles(us * 1000)

    def _require(self) -> SchedulerServices:
        if self._services is None:
            raise SchedulerStateError(f"{self.name}: used before init()")
        return self._services
