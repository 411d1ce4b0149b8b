"""A user's own plug-in with a timer of its own: the runnable VMs take turns at a fixed tick."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

from rthv.hv.scheduling import ParamReader, SchedulerPolicy, SchedulerServices, VmHandle


class TickRotation(SchedulerPolicy):
    """A FIFO of runnable VMs whose head runs; every ``tick_us`` (a timer that never stops,
    whatever the VMs do) the head moves to the tail."""

    name = "tick-rotation"

    def __init__(self, *, tick_us: int = 1000) -> None:
        self.tick_us = tick_us
        self.ticks = 0
        self.queue: deque[VmHandle] = deque()
        self._services: SchedulerServices | None = None

    def init(self, services: SchedulerServices) -> None:
        """Keep the services and start ticking."""
        self._services = services
        self._arm()

    def allocate(self, vm: VmHandle, params: Mapping[str, object]) -> object:
        """No per-VM parameters."""
        ParamReader(params, self.name).finish()
        return None

    def enque(self, vm: VmHandle) -> None:
        """Join the tail."""
        self.queue.append(vm)

    def yield_(self, vm: VmHandle) -> None:
        """The VM waits: leave the queue."""
        self.queue.remove(vm)

    def block(self, vm: VmHandle) -> None:
        """Nothing to do: the tick moved it to the tail already."""

    def remove(self, vm: VmHandle) -> None:
        """Forget a stopped VM."""
        if vm in self.queue:
            self.queue.remove(vm)

    def schedule(self) -> VmHandle | None:
        """The head of the queue."""
        return self.queue[0] if self.queue else None

    def _tick(self) -> None:
        self.ticks += 1
        self.queue.rotate(-1)
        self._arm()

    def _arm(self) -> None:
        assert self._services is not None
        when = self._services.now() + self._services.cycles(self.tick_us * 1000)
        self._services.set_timer(when, self._tick, "tick")
