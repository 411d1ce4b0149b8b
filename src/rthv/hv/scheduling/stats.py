"""Scheduler accounting: CPU cycles per VM, switches, preemptions, jobs and deadline misses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from rthv.hv.scheduling.vm_handle import VmHandle, VmState


@dataclass(frozen=True)
class DeadlineMiss:
    """A job of ``vm`` was not finished at ``deadline``; noticed at cycle ``detected_at``."""

    vm: str
    deadline: int
    detected_at: int
    detail: str


@dataclass(frozen=True)
class PolicyFailure:
    """A policy misbehaved at cycle ``at``; ``replaced_by`` names the fallback, if one took over."""

    at: int
    policy: str
    callback: str
    message: str
    replaced_by: str | None


@dataclass(frozen=True)
class VmStats:
    """One VM's record: cycles run, how often it was dispatched, preempted, waited; its jobs."""

    name: str
    index: int
    state: VmState
    cycles_run: int
    dispatches: int
    preemptions: int
    waits: int
    jobs_released: int
    jobs_completed: int
    deadline_misses: int
    current_deadline: int | None


@dataclass(frozen=True)
class SchedulerStats:
    """The whole scheduler's record at one instant."""

    now: int
    policy: str
    switches: int
    preemptions: int
    idle_cycles: int
    vms: dict[str, VmStats]
    misses: tuple[DeadlineMiss, ...]
    failures: tuple[PolicyFailure, ...]


@dataclass
class VmAccount:
    """Mutable per-VM counters kept by the framework."""

    cycles: int = 0
    since: int | None = None  # switch-in time while the VM holds the CPU
    dispatches: int = 0
    preemptions: int = 0
    waits: int = 0
    jobs_released: int = 0
    jobs_completed: int = 0
    deadline_misses: int = 0
    current_deadline: int | None = None

    def consumed(self, now: int) -> int:
        """Cycles run in total, including the running slice."""
        return self.cycles + (now - self.since if self.since is not None else 0)

    def switch_in(self, now: int) -> None:
        """The VM got the CPU at ``now``."""
        self.since = now
        self.dispatches += 1

    def switch_out(self, now: int) -> None:
        """The VM lost the CPU at ``now``."""
        if self.since is not None:
            self.cycles += now - self.since
            self.since = None


@dataclass
class Totals:
    """Mutable scheduler-wide counters."""

    switches: int = 0
    preemptions: int = 0
    idle_cycles: int = 0
    idle_since: int | None = None
    misses: list[DeadlineMiss] = field(default_factory=list)
    failures: list[PolicyFailure] = field(default_factory=list)

    def idle(self, now: int) -> int:
        """Idle cycles so far, including an idle stretch still going on."""
        return self.idle_cycles + (now - self.idle_since if self.idle_since is not None else 0)


def snapshot(
    now: int, policy: str, accounts: Mapping[VmHandle, VmAccount], totals: Totals
) -> SchedulerStats:
    """Freeze the counters into a ``SchedulerStats`` at cycle ``now``."""
    vms = {
        vm.name: VmStats(
            vm.name,
            vm.index,
            vm.state,
            a.consumed(now),
            a.dispatches,
            a.preemptions,
            a.waits,
            a.jobs_released,
            a.jobs_completed,
            a.deadline_misses,
            a.current_deadline,
        )
        for vm, a in accounts.items()
    }
    return SchedulerStats(
        now,
        policy,
        totals.switches,
        totals.preemptions,
        totals.idle(now),
        vms,
        tuple(totals.misses),
        tuple(totals.failures),
    )
