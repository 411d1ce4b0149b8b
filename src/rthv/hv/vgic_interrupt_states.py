"""A VM's virtual interrupt states: what of each interrupt is not in a list register.

State model: a ``VirqState`` holds what is not in a list register; while the VM is loaded the LRs
it has written are authoritative for the pending/active state they carry (``VgicListRegisters``,
``vgic_list_registers``, knows which LR holds which interrupt). At most one LR per interrupt.

``VgicInterruptStates`` is that state, in one object the two working parts of the virtual GIC
share: the distributor facade (``VirtualGic``, ``vgic``), which the guest's GICD accesses and the
hypervisor's injections change, and the list registers, which move interrupts between this state
and the GICH. It keeps every ``VirqState`` by ID, the queue of IDs that may be pending or active
outside an LR, the level-sensitive sources, GICD_CTLR.Enable and the vCPU interface registers
(HCR, VMCR, APR) saved while the vCPU is not loaded. Its containers are public and created once
(never rebound), so each part may keep them at hand on its hot paths; the two rules of the
queue are methods here (``queue``, ``settle``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rthv.board.gic import regs
from rthv.hv.vgic_registers import VirqState


class VgicInterruptStates:
    """A VM's interrupt states, its level sources, its distributor enable and its saved vCPU
    interface state (HCR, VMCR, APR)."""

    def __init__(self, vm_name: str, states: Iterable[VirqState]) -> None:
        self.vm_name = vm_name
        self.irqs: dict[int, VirqState] = {state.irq: state for state in states}  # by ID
        # The IDs that may be pending or active outside the list registers: every place that
        # sets ``pending`` or ``active`` adds the ID (``queue``); ``settle`` drops the others.
        # So a flush looks at a handful of interrupts, not at every one the VM owns.
        self.queued: set[int] = set()
        self.levels: dict[int, Callable[[], bool]] = {}  # level-sensitive sources, by ID
        self.enabled = False  # GICD_CTLR.Enable of the VM's distributor
        self.hcr = regs.HCR_EN  # the vCPU interface, as saved at the last switch-out
        self.vmcr = regs.VMCR_RESET
        self.apr = 0

    def state(self, irq: int) -> VirqState:
        """The state of the VM's interrupt ``irq``; ValueError for one it does not own."""
        state = self.irqs.get(irq)
        if state is None:
            raise ValueError(f"{self.vm_name}: interrupt {irq} is not this VM's")
        return state

    def queue(self, state: VirqState, *, pending: bool = False, active: bool = False) -> None:
        """Make ``state`` pending and/or active outside the list registers (the one way to)."""
        if pending:
            state.pending = True
        if active:
            state.active = True
        self.queued.add(state.irq)

    def settle(self) -> None:
        """Drop from the queue the IDs that are neither pending nor active any more."""
        irqs = self.irqs
        self.queued.difference_update(
            [irq for irq in self.queued if not (irqs[irq].pending or irqs[irq].active)]
        )
