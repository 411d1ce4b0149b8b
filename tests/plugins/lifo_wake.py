"""A user's own scheduler plug-in, loaded by path: the most recently woken VM runs first."""

from __future__ import annotations

from collections.abc import Mapping

from rthv.hv.scheduling import ParamReader, SchedulerPolicy, SchedulerServices, VmHandle


class MostRecentlyWokenFirst(SchedulerPolicy):
    """A VM that becomes runnable preempts at once; when it waits, the previous one resumes."""

    name = "most-recently-woken-first"

    def __init__(self, *, shelter: str = "") -> None:
        self.shelter = shelter  # a VM never preempted by wake-ups (policy-level parameter)
        self.stack: list[VmHandle] = []

    def init(self, services: SchedulerServices) -> None:
        """No timers needed."""

    def allocate(self, vm: VmHandle, params: Mapping[str, object]) -> object:
        """No per-VM parameters."""
        ParamReader(params, self.name).finish()
        return None

    def enque(self, vm: VmHandle) -> None:
        """Push the VM on top, unless the sheltered VM is on top: then just under it."""
        if self.stack and self.stack[-1].name == self.shelter:
            self.stack.insert(len(self.stack) - 1, vm)
        else:
            self.stack.append(vm)

    def yield_(self, vm: VmHandle) -> None:
        """The VM waits: drop it from the stack."""
        self.stack.remove(vm)

    def block(self, vm: VmHandle) -> None:
        """Preempted: it stays where it is, under the newcomer."""

    def remove(self, vm: VmHandle) -> None:
        """Forget a stopped VM."""
        if vm in self.stack:
            self.stack.remove(vm)

    def schedule(self) -> VmHandle | None:
        """The top of the stack."""
        return self.stack[-1] if self.stack else None
