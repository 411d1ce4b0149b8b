"""Fixed-priority preemptive scheduling of VMs (the paper's first policy).

Per-VM parameter: ``priority``, an integer >= 0; a LOWER number is a HIGHER priority (0 is the
most important), as in RTEMS and most RTOSes. The runnable VM with the highest priority runs; a
VM of higher priority becoming runnable preempts the running one at once. VMs of equal priority
run first-come first-served: a newly runnable VM queues behind its equals and does not preempt
them, and a preempted VM keeps its place at the head of its priority level.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rthv.hv.scheduling.api import SchedulerPolicy, SchedulerServices, VmHandle
from rthv.hv.scheduling.params import ParamReader


@dataclass(frozen=True)
class FixedPriorityParams:
    """A VM's priority (lower number = higher priority)."""

    priority: int


class FixedPriorityPolicy(SchedulerPolicy):
    """Highest priority first (lower number wins), preemptive, FIFO among equals."""

    name = "fixed-priority"

    def __init__(self) -> None:
        self._priority: dict[VmHandle, int] = {}
        self._levels: dict[int, list[VmHandle]] = {}  # priority -> runnable VMs in FIFO order

    def init(self, services: SchedulerServices) -> None:
        """Nothing to set up: this policy needs no timers."""

    def allocate(self, vm: VmHandle, params: Mapping[str, object]) -> object:
        """Read ``priority`` (required integer >= 0)."""
        record = self._read(params)
        self._priority[vm] = record.priority
        return record

    def change_params(self, vm: VmHandle, params: Mapping[str, object]) -> object:
        """A new priority; a runnable VM moves to the tail of its new level."""
        record = self._read(params)
        runnable = self._dequeue(vm)
        self._priority[vm] = record.priority
        if runnable:
            self.enque(vm)
        return record

    def enque(self, vm: VmHandle) -> None:
        """Queue the VM behind its equals."""
        self._levels.setdefault(self._priority[vm], []).append(vm)

    def yield_(self, vm: VmHandle) -> None:
        """The VM waits: take it out of its level."""
        self._dequeue(vm)

    def block(self, vm: VmHandle) -> None:
        """Preempted: the VM stays at the head of its level, to resume first."""

    def remove(self, vm: VmHandle) -> None:
        """Forget a stopped VM."""
        self._dequeue(vm)
        del self._priority[vm]

    def schedule(self) -> VmHandle | None:
        """Head of the highest non-empty priority level."""
        for priority in sorted(self._levels):
            level = self._levels[priority]
            if level:
                return level[0]
        return None

    def _read(self, params: Mapping[str, object]) -> FixedPriorityParams:
        reader = ParamReader(params, self.name)
        priority = reader.integer("priority", minimum=0)
        reader.finish()
        return FixedPriorityParams(priority)

    def _dequeue(self, vm: VmHandle) -> bool:
        level = self._levels.get(self._priority[vm], [])
        if vm in level:
            level.remove(vm)
            return True
        return False
