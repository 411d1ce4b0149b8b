"""Broken scheduler plug-ins, for the tests that a faulty policy is reported cleanly: two fail
loudly (raise, return a waiting VM), two never do on their own (idle the CPU for good, loop
forever in a callback) and rthv must still say what happened."""

from __future__ import annotations

import sys
from collections.abc import Mapping

from rthv.hv.scheduling import SchedulerPolicy, SchedulerServices, VmHandle


class _FirstComeFirstServed(SchedulerPolicy):
    """Runs VMs in arrival order; the subclasses break it."""

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
        """The first in the queue."""
        self.decisions += 1
        return self.queue[0] if self.queue else None


class RaisesOnThirdDecision(_FirstComeFirstServed):
    """Raises from schedule() on its third decision."""

    name = "raises-on-third-decision"

    def schedule(self) -> VmHandle | None:
        """Fails on the third call."""
        if self.decisions == 2:
            raise RuntimeError("lost track of the queue")
        return super().schedule()


class PicksAWaitingVm(_FirstComeFirstServed):
    """Keeps returning a VM after it started waiting."""

    name = "picks-a-waiting-vm"

    def yield_(self, vm: VmHandle) -> None:
        """Forgets to take the waiting VM out of the queue."""


class AlwaysIdle(_FirstComeFirstServed):
    """Never picks a VM, although they are runnable."""

    name = "always-idle"

    def schedule(self) -> VmHandle | None:
        """Nobody runs."""
        self.decisions += 1
        return None


class LoopsOnThirdDecision(_FirstComeFirstServed):
    """Runs VMs in arrival order, but spins forever in schedule() on its third decision."""

    name = "loops-on-third-decision"

    def schedule(self) -> VmHandle | None:
        """The first in the queue; an endless loop on the third call."""
        if self.decisions == 2:
            print("loops-on-third-decision: spinning", file=sys.stderr, flush=True)
            while True:
                pass
        return super().schedule()


class LoopsInYield(_FirstComeFirstServed):
    """Runs VMs in arrival order, but spins forever in yield_() when a VM first waits."""

    name = "loops-in-yield"

    def yield_(self, vm: VmHandle) -> None:
        """An endless loop."""
        print("loops-in-yield: spinning", file=sys.stderr, flush=True)
        while True:
            pass
