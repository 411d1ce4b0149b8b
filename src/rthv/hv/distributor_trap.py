"""The VM's GIC distributor page: unmapped at Stage 2, every access traps and is emulated."""

from __future__ import annotations

from rthv.hv.trap_context import TrapContext
from rthv.hv.vm import Vm


class EmulatedDistributor:
    """Routes a VM's GICD accesses to its virtual GIC, charging a trap and an emulation each."""

    def __init__(self, ctx: TrapContext, vm: Vm, base: int) -> None:
        """``base``: the distributor's address in the VM's IPA space (for reports)."""
        self._ctx = ctx
        self._vm = vm
        self._base = base

    def _trap(self) -> None:
        self._vm.counters.gicd_accesses += 1
        self._ctx.trap_taken(self._vm, self._ctx.costs.gicd_emulation)

    def read(self, offset: int, size: int) -> int:
        """An emulated GICD read."""
        self._trap()
        return self._vm.vgic.read(offset, size)

    def write(self, offset: int, size: int, value: int) -> None:
        """An emulated GICD write; writes to interrupts the VM does not own are reported."""
        self._trap()
        vgic = self._vm.vgic
        for violation in vgic.write(offset, size, value):
            self._vm.counters.gicd_ignored += 1
            self._ctx.report_ignored(
                self._vm,
                f"GICD+{offset & ~3:#05x}",
                f"GICD write at {self._base + offset:#010x} for IRQ {violation.irq} (not its own)",
            )
        if vgic.has_deliverable():
            self._ctx.deliver(self._vm)
