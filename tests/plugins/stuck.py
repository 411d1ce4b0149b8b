"""Scheduler plug-ins that never fail loudly on their own: one idles the CPU for good, one
loops forever in a callback. rthv must still say what happened."""

from __future__ import annotations

import sys
from collections.abc import Mapping

from rthv.hv.scheduling import SchedulerPolicy, SchedulerServices, VmHandle


class AlwaysIdle(SchedulerPolicy):
    """Never picks a VM, although they are runnable."""

    name = "always-idle"

    def __init__(self) -> None:
        self.queue: list[VmHandle] = []
        self.decisions = 0

    def init(self, services: SchedulerServices) -> None:
        """Nothing to set up."""

    def allocate(self, vm: VmHandle, params: Mapping[str, object]) -> object:
        """No parameters."""
        return None

    def enque(self, vm: VmHandle) -> None:
        """Join the queue."""
        self.queue.append(vm)

    def yield_(self, vm: VmHandle) -> None:
        """Leave the queue while waiting."""
        self.queue.remove(vm)

    def block(self, vm: VmHandle) -> None:
        """Keep the place in the queue."""

    def schedule(self) -> VmHandle | None:
        """Nobody runs."""
        self.decisions += 1
        return None


class LoopsOnThirdDecision(AlwaysIdle):
    """Runs VMs in arrival order, but spins forever in schedule() on its third decision."""

    name = "loops-on-third-decision"

    def schedule(self) -> VmHandle | None:
        """The first in the queue; an endless loop on the third call."""
        self.decisions += 1
        if self.decisions == 3:
            print("loops-on-third-decision: spinning", file=sys.stderr, flush=True)
            while True:
                pass
        return self.queue[0] if self.queue else None
