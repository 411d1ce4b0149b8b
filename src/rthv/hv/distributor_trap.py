"""The VM's GIC distributor page: unmapped at Stage 2, every access traps and is emulated."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rthv.hv.vm import Vm

if TYPE_CHECKING:
    from rthv.hv.hypervisor import Hypervisor


class EmulatedDistributor:
    """Routes a VM's GICD accesses to its virtual GIC, charging a trap and an emulation each."""

    def __init__(self, hv: Hypervisor, vm: Vm) -> None:
        self._hv = hv
        self._vm = vm

    def _trap(self) -> None:
        costs = self._hv.costs
        self._vm.counters.traps += 1
        self._vm.counters.gicd_accesses += 1
        self._hv.machine.charge(costs.trap_entry_exit + costs.gicd_emulation)

    def read(self, offset: int, size: int) -> int:
        """An emulated GICD read."""
        self._trap()
        return self._vm.vgic.read(offset, size)

    def write(self, offset: int, size: int, value: int) -> None:
        """An emulated GICD write; writes to interrupts the VM does not own are reported."""
        self._trap()
        vgic = self._vm.vgic
        before = len(vgic.violations)
        vgic.write(offset, size, value)
        for violation in vgic.violations[before:]:
            address = self._hv.board.gic.distributor + offset
            self._hv.report_ignored(
                self._vm,
                f"GICD+{offset & ~3:#05x}",
                f"GICD write at {address:#010x} for IRQ {violation.irq} (not its own)",
            )
        del vgic.violations[before:]  # reported and counted: a rogue VM must not grow them
        if vgic.has_deliverable():
            self._hv.deliver(self._vm)
