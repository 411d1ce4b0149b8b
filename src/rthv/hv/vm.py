"""A virtual machine: its vCPU engine, Stage-2 table, virtual GIC, architected timer, counters."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from rthv.board.cpu import CpuCore
from rthv.board.cpu_exit import CpuExit, ExitKind
from rthv.board.generic_timer import GenericTimer
from rthv.hv.config import VmConfig
from rthv.hv.scheduling.vm_handle import VmHandle
from rthv.hv.stage2 import Stage2Table
from rthv.hv.vgic import VirtualGic


@dataclass(frozen=True)
class VmFault:
    """Why a VM was stopped: what it did, where, and when."""

    vm: str
    reason: str
    pc: int
    address: int
    access: str  # "" when no memory access was involved (then the address means nothing)
    cycle: int
    internal: bool = False  # rthv itself failed while serving the VM: a bug to report
    clean: bool = False  # the guest asked to stop (PSCI SYSTEM_OFF): no fault at all
    action: str = "stopped"  # what the VM's fault policy did: stopped, restarted, injected

    def describe(self) -> str:
        """One line for the console and the summary."""
        if self.clean:
            return f'vm "{self.vm}" {self.reason} at pc {self.pc:#010x}, cycle {self.cycle}'
        where = f", address {self.address:#010x} ({self.access})" if self.access else ""
        return (
            f'vm "{self.vm}" {self.action}: {self.reason} at pc {self.pc:#010x}{where}, '
            f"cycle {self.cycle}"
        )


@dataclass
class LatencyStats:
    """Interrupt latency of one VM, in cycles: from the moment an interrupt became deliverable
    to the VM (a physical IRQ it owns, its timer, a notify) to the VM's IRQ exception entry."""

    count: int = 0
    total: int = 0
    minimum: int | None = None
    maximum: int = 0
    histogram: Counter[int] = field(default_factory=Counter)  # cycles -> how often

    def add(self, cycles: int) -> None:
        """Record one latency."""
        histogram = self.histogram  # (a dict's get and set: no Counter.__missing__ call)
        histogram[cycles] = histogram.get(cycles, 0) + 1
        self.count += 1
        self.total += cycles
        minimum = self.minimum
        if minimum is None or cycles < minimum:  # (plain tests: once per interrupt)
            self.minimum = cycles
        if cycles > self.maximum:
            self.maximum = cycles

    @property
    def mean(self) -> float:
        """Average latency in cycles (0 with no sample)."""
        return self.total / self.count if self.count else 0.0


@dataclass
class VmCounters:
    """What the hypervisor did for one VM."""

    traps: int = 0
    hypercalls: int = 0
    hypercall_errors: int = 0
    gicd_accesses: int = 0
    gicd_ignored: int = 0
    restarts: int = 0  # faults answered by a reset from the images (fault = "restart")
    injected_aborts: int = 0  # faults delivered into the guest (fault = "inject")
    ignored_by_register: dict[str, int] = field(default_factory=dict)  # e.g. "GICD+0x104": 3
    injections: int = 0
    notifications: int = 0
    wfi: int = 0
    world_switches: int = 0


@dataclass
class Vm:
    """One VM with its single vCPU."""

    index: int
    config: VmConfig
    core: CpuCore
    stage2: Stage2Table
    vgic: VirtualGic
    timer: GenericTimer
    handle: VmHandle
    entry: int
    counters: VmCounters = field(default_factory=VmCounters)
    latency: LatencyStats = field(default_factory=LatencyStats)
    fault: VmFault | None = None
    interrupt_pending_since: int | None = None  # when the oldest undelivered interrupt came

    @property
    def name(self) -> str:
        """The VM's name from the configuration."""
        return self.config.name

    @property
    def stopped(self) -> bool:
        """True once the VM was stopped for a fault."""
        return self.fault is not None


def access_of(exit: CpuExit) -> str:
    """How a faulting access is described: read, write or execute, with its width."""
    if exit.kind is ExitKind.PREFETCH_ABORT:
        return "execute"
    return f"{'write' if exit.write else 'read'} of {exit.size} bytes"
