"""What a trap handler may ask of the hypervisor: a small, typed context.

Handlers (``traps``, ``distributor_trap``) receive a ``TrapContext`` and the trapping ``Vm``;
they never reach into the hypervisor's machine, scheduler or channels. ``Hypervisor`` is the one
implementation; a test can pass a fake.
"""

from __future__ import annotations

from typing import Protocol

from rthv.board.cpu_exit import CpuExit
from rthv.hv.costs import CostTable
from rthv.hv.trace_log import TraceEvent
from rthv.hv.vm import Vm


class TrapContext(Protocol):
    """The hypervisor as its trap handlers see it."""

    @property
    def costs(self) -> CostTable:
        """The cost table, in cycles."""
        ...

    def trap_taken(self, vm: Vm, cycles: int = 0) -> None:
        """Count a trap of ``vm`` and charge trap entry/exit plus ``cycles`` of handling."""
        ...

    def charge(self, cycles: int) -> None:
        """Charge hypervisor work to virtual time."""
        ...

    @property
    def now(self) -> int:
        """Virtual time now, in cycles (when an event happens)."""
        ...

    def record(self, event: TraceEvent) -> None:
        """Add an event to the trace."""
        ...

    def hypercall_made(self, vm: Vm, function: int, status: int) -> None:
        """Trace ``vm``'s hypercall ``function`` and its ``status`` (a ``HypercallMade`` now)."""
        ...

    def retire(self, vm: Vm) -> None:
        """Count the trapped instruction as executed (it was emulated, not run)."""
        ...

    def deliver(self, vm: Vm) -> None:
        """``vm`` has a deliverable virtual interrupt: inject it, or make the VM runnable."""
        ...

    def wait(self, vm: Vm) -> None:
        """``vm`` waits for an interrupt (WFI), unless one is already deliverable."""
        ...

    def notify(self, sender: Vm, channel: int) -> tuple[int, Vm | None]:
        """Raise a notify channel's vIRQ: (status, the peer to deliver to afterwards or None)."""
        ...

    def resample_timer(self, vm: Vm) -> None:
        """``vm`` reprogrammed its timer: a line still high is pending again."""
        ...

    def stop_vm(
        self,
        vm: Vm,
        reason: str,
        pc: int,
        address: int,
        access: str,
        *,
        exit: CpuExit | None = None,
    ) -> None:
        """A fault of ``vm``: stopped for good and reported, unless its fault policy injects
        ``exit`` into the guest or restarts it; the others go on."""
        ...

    def power_off(self, vm: Vm, how: str) -> None:
        """The guest switched its VM off: it stops for good, cleanly."""
        ...

    def reset_vm(self, vm: Vm, how: str) -> None:
        """The guest asked for a reset: its VM starts again from its images."""
        ...

    def report_ignored(self, vm: Vm, register: str, detail: str) -> None:
        """Report an ignored guest access (per the GIC spec, or a register a device lacks)."""
        ...
