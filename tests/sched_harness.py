"""A scripted driver for scheduler tests: fake guest workloads on a real clock and event queue.

Each fake VM has a backlog of CPU work (cycles, or None for endless). While it holds the CPU its
backlog shrinks with virtual time; at zero it executes WFI (``vm_waits``). ``wake`` schedules an
interrupt on the event queue: it adds work and, if the VM waits, calls ``vm_runnable``. At one
cycle the driver runs due events first, then lets the running VM execute (as the board does).
"""

from __future__ import annotations

from collections.abc import Mapping

from rthv.board.clock import VirtualClock
from rthv.board.events import EventQueue
from rthv.hv.scheduling import Scheduler, SchedulerPolicy, VmHandle, VmState

US = 1_000  # cycles per microsecond at 1 GHz
MS = 1_000_000  # cycles per millisecond at 1 GHz

Switch = tuple[int, str | None]


class Sim:
    """A scheduler on a 1 GHz clock with scripted VMs; ``log`` holds every (cycle, new VM)."""

    def __init__(self, policy: SchedulerPolicy, *, fallback: SchedulerPolicy | None = None):
        self.clock = VirtualClock(1_000_000_000)
        self.events = EventQueue()
        self.sched = Scheduler(policy, self.clock, self.events, fallback=fallback)
        self.vms: dict[str, VmHandle] = {}
        self.work: dict[str, int | None] = {}
        self.log: list[Switch] = []
        self.started = False
        self.sched.on_switch(self._switched)

    def _switched(self, old: VmHandle | None, new: VmHandle | None, reason: str) -> None:
        self.log.append((self.clock.now(), None if new is None else new.name))

    def add(
        self,
        name: str,
        params: Mapping[str, object] | None = None,
        *,
        work: int | None = 0,
        fallback_params: Mapping[str, object] | None = None,
    ) -> VmHandle:
        """A VM with ``work`` cycles to run at boot (None: it never waits)."""
        vm = VmHandle(name, len(self.vms))
        self.sched.add_vm(vm, params or {}, fallback_params=fallback_params)
        self.vms[name] = vm
        self.work[name] = work
        return vm

    def wake(self, name: str, at: int, work: int) -> None:
        """An interrupt for ``name`` at cycle ``at`` bringing ``work`` cycles of work."""

        def arrive() -> None:
            backlog = self.work[name]
            self.work[name] = None if backlog is None else backlog + work
            vm = self.vms[name]
            if vm.state is VmState.WAITING:
                self.sched.vm_runnable(vm)

        self.events.schedule(at, arrive, name=f"irq {name}")

    def periodic(self, name: str, period: int, work: int, until: int) -> None:
        """Interrupts for ``name`` every ``period`` cycles from ``period`` up to ``until``."""
        for at in range(period, until, period):
            self.wake(name, at, work)

    def at(self, when: int, action: object) -> None:
        """Run ``action()`` (a seam call, say) at cycle ``when``."""
        assert callable(action)
        self.events.schedule(when, action, name="script")

    def run(self, until: int) -> list[Switch]:
        """Start (if not yet) and run to cycle ``until``; returns the switch log."""
        if not self.started:
            self.started = True
            self.sched.start()
        while True:
            now = self.clock.now()
            self.events.run_due(now)
            current = self.sched.current
            if current is not None and self.work[current.name] == 0:
                self.sched.vm_waits(current)
                continue
            if now >= until:
                return self.log
            due = self.events.peek()
            target = until if due is None else min(due, until)
            backlog = None if current is None else self.work[current.name]
            if backlog is not None:
                target = min(target, now + backlog)
            self.clock.advance_to(target)
            if current is not None and backlog is not None:
                self.work[current.name] = backlog - (target - now)
