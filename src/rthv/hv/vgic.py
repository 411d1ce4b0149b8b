"""One VM's virtual GIC: the hypervisor's emulation of the GICD and the injection API.

The GICv2 distributor is not virtualised in hardware, so each VM gets a ``VirtualGic``: its GICD
page traps and is served by ``read``/``write`` (see ``vgic_registers``), and its interrupts reach
the vCPU through the list registers of the board's GICH, which the VM's GICC page (Stage 2 maps
it onto the GICV) acknowledges and EOIs in hardware.

Interrupts a VM owns: SGIs and PPIs (0..31, banked per VM and purely virtual), its passthrough
SPIs (the IRQs of its devices) and its virtual SPIs (inter-VM notify vIRQs). Everything else is
RAZ/WI and every attempt to change it is returned by ``write`` (``GicdViolation``).

Passthrough SPIs are mirrored to the physical distributor: enable, trigger configuration,
priority (so the physical arbitration between pending device IRQs follows the guest's choice;
every physical IRQ is taken by the hypervisor first, so this orders acknowledgement, it cannot
make a guest IRQ preempt the hypervisor) and pending set/clear. Their physical target is forced
to CPU 0. The hypervisor acknowledges a passthrough IRQ physically and drops its priority with
EOImode split (``physical_arrived``): the physical IRQ stays active and is deactivated by the
guest's virtual EOI through the HW=1 list register. Hence every instance of a passthrough IRQ
in this model is *linked*: physically active on the VM's behalf; when the guest drops it
(ICPENDR/ICACTIVER) the hypervisor deactivates it physically.

``VirtualGic`` is the VM-facing facade of two parts it is composed of, each owning its state:
the VM's interrupt states (``states``, a ``VgicInterruptStates``: every ``VirqState``, the queue,
the level sources, the distributor enable, the saved vCPU interface; with the state model) and
the list registers that deliver them (``list_registers``, a ``VgicListRegisters``: the GICH the
vCPU is loaded in, which LR holds which interrupt, the refill policy). The facade serves the
guest's GICD and the injections; it changes a listed interrupt only through the list registers'
public steps. The hypervisor holds the list registers directly for the GICH work (flush,
maintenance, world switch, a physical IRQ's short way), so its hot paths forward through
nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final

from rthv.board.gic import regs
from rthv.board.gic.distributor import GicDistributor
from rthv.board.gic.list_register import LrState
from rthv.board.gic.regs import BANKED_COUNT, BYTE_BITS, BYTE_MASK, SGI_COUNT
from rthv.hv.vgic_interrupt_states import VgicInterruptStates
from rthv.hv.vgic_list_registers import VgicListRegisters
from rthv.hv.vgic_registers import (
    VM_CPU_MASK,
    GicdRegisterFile,
    GicdViolation,
    VirqKind,
    VirqState,
)

__all__ = ["GicdViolation", "VirqKind", "VirtualGic"]

MIN_PRIORITY_BITS: Final = 4  # GICv2: at least 16 priority levels
RESET_PRIORITY: Final = 0  # GICD_IPRIORITYR reset value, mirrored to passthrough SPIs at creation


class VirtualGic:
    """The GICD a VM sees (an ``MmioDevice``) and the injection API, over the VM's interrupt
    states (``states``) and the list registers that deliver them (``list_registers``)."""

    def __init__(
        self,
        vm_name: str,
        num_irqs: int,
        physical: GicDistributor,
        *,
        passthrough: Iterable[int],
        virtual: Iterable[int],
        priority_bits: int = regs.VIRTUAL_PRIORITY_BITS,
    ) -> None:
        if not BANKED_COUNT <= num_irqs <= regs.MAX_IRQS:
            raise ValueError(f"num_irqs must be in {BANKED_COUNT}..{regs.MAX_IRQS}, got {num_irqs}")
        if not MIN_PRIORITY_BITS <= priority_bits <= BYTE_BITS:
            raise ValueError(
                f"priority_bits must be in {MIN_PRIORITY_BITS}..{BYTE_BITS}, got {priority_bits}"
            )
        self.physical = physical
        self.num_irqs = num_irqs
        self.priority_mask = (BYTE_MASK << (BYTE_BITS - priority_bits)) & BYTE_MASK
        self.passthrough = frozenset(passthrough)
        self.virtual = frozenset(virtual)
        self._check_ids(vm_name)
        states = [
            VirqState(irq, VirqKind.BANKED, edge=irq < SGI_COUNT) for irq in range(BANKED_COUNT)
        ]
        for irq in sorted(self.passthrough):
            states.append(VirqState(irq, VirqKind.PASSTHROUGH, edge=physical.is_edge(irq)))
            physical.set_targets(irq, VM_CPU_MASK)
            physical.set_enabled(irq, False)
            physical.set_priority(irq, RESET_PRIORITY)
        states += [VirqState(irq, VirqKind.VIRTUAL, edge=True) for irq in sorted(self.virtual)]
        self.states = VgicInterruptStates(vm_name, states)
        self.list_registers = VgicListRegisters(self.states)
        # (the parts' containers, never rebound, at hand for the GICD fields and the injections)
        self._irqs, self._queued = self.states.irqs, self.states.queued
        self._listed = self.list_registers.listed
        self.owned = self._irqs.keys()  # (``owns``, for the GICD reads' membership tests)
        self._registers = GicdRegisterFile(self)

    def _check_ids(self, vm_name: str) -> None:
        both = self.passthrough & self.virtual
        if both:
            raise ValueError(f"{vm_name}: IRQs {sorted(both)} both passthrough and virtual")
        for irq in self.passthrough | self.virtual:
            if not BANKED_COUNT <= irq < self.num_irqs:
                raise ValueError(f"{vm_name}: IRQ {irq} is not an SPI below {self.num_irqs}")
        for irq in self.passthrough:
            if irq >= self.physical.num_irqs:
                raise ValueError(f"{vm_name}: IRQ {irq} is not a physical interrupt")

    # ---------------------------------------------------------------- MMIO (the guest's GICD)

    def read(self, offset: int, size: int) -> int:
        """Emulated guest read of the VM's GICD."""
        return self._registers.read(offset, size)

    def write(self, offset: int, size: int, value: int) -> list[GicdViolation]:
        """Emulated guest write of the VM's GICD; returns the foreign fields it ignored."""
        return self._registers.write(offset, size, value)

    # ---------------------------------------------------------------- ownership and state

    def reset(self) -> None:
        """The distributor's reset state (a VM reset): nothing enabled, pending or active."""
        for irq in list(self._irqs):
            self.set_enabled(irq, False)
            self.set_pending(irq, False)
            self.set_active(irq, False)
        self.enabled = False

    def owns(self, irq: int) -> bool:
        """Whether ``irq`` belongs to this VM (SGIs, PPIs, its passthrough and virtual SPIs)."""
        return irq in self._irqs

    def kind(self, irq: int) -> VirqKind:
        """Where the VM's interrupt ``irq`` comes from."""
        return self.states.state(irq).kind

    @property
    def enabled(self) -> bool:
        """GICD_CTLR.Enable of the VM's distributor."""
        return self.states.enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        self.states.enabled = value
        if not value:
            for irq in list(self._listed):
                self.list_registers.recall(irq)

    def is_enabled(self, irq: int) -> bool:
        """Enable bit of ``irq``."""
        state = self._irqs.get(irq)  # (``states.state`` written out: 32 per GICD word read)
        return state.enabled if state is not None else self.states.state(irq).enabled

    def set_enabled(self, irq: int, enabled: bool) -> None:
        """Enable/disable ``irq``; a disabled interrupt keeps pending but leaves its LR."""
        state = self.states.state(irq)
        state.enabled = enabled
        if state.hardware:
            self.physical.set_enabled(irq, enabled)
        if not enabled:
            self.list_registers.recall(irq)

    def is_pending(self, irq: int) -> bool:
        """Pending in the VM (queued, in an LR, or latched physically for passthrough IRQs)."""
        state = self.states.state(irq)
        if state.pending or self.list_registers.lr_state(irq) & LrState.PENDING:
            return True
        return state.hardware and self.physical.is_pending(irq)

    def set_pending(self, irq: int, pending: bool) -> None:
        """ISPENDR/ICPENDR semantics; passthrough IRQs are set/cleared at the physical GICD."""
        state = self.states.state(irq)
        if state.hardware:
            self.physical.set_pending(irq, pending)
        if pending and not state.hardware:
            self.states.queue(state, pending=True)
        elif not pending:
            self._drop(state, LrState.PENDING)

    def is_active(self, irq: int) -> bool:
        """Active in the VM (acknowledged by the guest and not yet deactivated)."""
        state = self.states.state(irq)
        return state.active or bool(self.list_registers.lr_state(irq) & LrState.ACTIVE)

    def set_active(self, irq: int, active: bool) -> None:
        """ISACTIVER/ICACTIVER semantics (setting a HW=1 LR active is ignored)."""
        state = self.states.state(irq)
        if not active:
            self._drop(state, LrState.ACTIVE)
            return
        if self.list_registers.activate(irq):
            return  # (in its LR)
        if state.hardware:
            self.physical.set_active(irq, True)
        self.states.queue(state, active=True)

    def _drop(self, state: VirqState, part: int) -> None:
        """Clear the pending or active ``part`` (``LrState.PENDING`` or ``ACTIVE``) of an
        interrupt; passthrough: deactivate physically."""
        had = state.pending if part == LrState.PENDING else state.active
        if part == LrState.PENDING:
            state.pending = False
        else:
            state.active = False
        if self.list_registers.withdraw(state.irq, part):
            had = True
        if had and state.hardware:
            self.physical.deactivate(state.irq)

    def priority(self, irq: int) -> int:
        """Priority byte of ``irq``."""
        return self.states.state(irq).priority

    def set_priority(self, irq: int, priority: int) -> None:
        """Set the priority of ``irq`` (mirrored physically for passthrough IRQs)."""
        state = self.states.state(irq)
        priority &= self.priority_mask
        if priority == state.priority:
            return
        state.priority = priority
        if state.hardware:
            self.physical.set_priority(irq, priority)
        self.list_registers.recall(irq)  # a pending LR is re-placed by priority at the next flush

    def is_edge(self, irq: int) -> bool:
        """Whether ``irq`` is configured edge-triggered (recorded; virtual IRQs act as edges)."""
        return self.states.state(irq).edge

    def set_edge(self, irq: int, edge: bool) -> None:
        """Configure the trigger of ``irq`` (SGIs stay edge; mirrored for passthrough IRQs)."""
        state = self.states.state(irq)
        if irq < SGI_COUNT:
            return
        state.edge = edge
        if state.hardware:
            self.physical.set_edge(irq, edge)

    def target(self, irq: int) -> int:
        """The ITARGETSR byte the guest last wrote for ``irq`` (it always reads 0x01)."""
        return self.states.state(irq).target

    def set_target(self, irq: int, target: int) -> None:
        """Record an ITARGETSR write; SGI/PPI targets are read-only, SPIs go to vCPU 0 anyway."""
        state = self.states.state(irq)
        if irq >= BANKED_COUNT:
            state.target = target & BYTE_MASK

    # ---------------------------------------------------------------- injection API

    def raise_virtual(self, irq: int) -> bool:
        """Make a virtual, SGI or PPI interrupt pending (edge); True if deliverable now."""
        state = self._irqs.get(irq)
        if state is None or state.hardware:
            self.states.state(irq)  # (raises for an interrupt not this VM's)
            raise ValueError(
                f"{self.states.vm_name}: IRQ {irq} is passthrough, use physical_arrived"
            )
        return self._pend(state)

    def physical_arrived(self, irq: int) -> bool:
        """The hypervisor acknowledged passthrough ``irq`` (active, priority dropped) for us."""
        state = self._irqs.get(irq)
        if state is None or not state.hardware:
            self.states.state(irq)  # (raises for an interrupt not this VM's)
            raise ValueError(f"{self.states.vm_name}: IRQ {irq} is not a passthrough IRQ")
        return self._pend(state)

    def _pend(self, state: VirqState) -> bool:
        """An arrived interrupt made pending outside the LRs; True if deliverable now."""
        state.pending = True  # (``states.queue(state, pending=True)``)
        irq = state.irq
        self._queued.add(irq)
        if irq not in self._listed:  # ``_deliverable`` with no LR holding it
            return self.states.enabled and state.enabled and not state.active
        return self._deliverable(state)

    def set_level_source(self, irq: int, sample: Callable[[], bool]) -> None:
        """Make virtual interrupt ``irq`` level-sensitive: while ``sample()`` stays high after
        the guest's EOI, the interrupt is pending again (an EOI maintenance interrupt tells)."""
        self.states.levels[irq] = sample

    def resample(self, irq: int) -> bool:
        """Pend a level source whose line is high and that is neither pending nor in service."""
        sample = self.states.levels.get(irq)
        state = self._irqs[irq]
        if sample is None or state.pending or state.active or irq in self._listed:
            return False
        if sample():
            self.states.queue(state, pending=True)
        return self._deliverable(state)

    def _deliverable(self, state: VirqState) -> bool:
        if not (self.states.enabled and state.enabled):
            return False
        in_lr = self.list_registers.lr_state(state.irq)
        if in_lr == LrState.PENDING:
            return True
        return state.pending and not state.active and in_lr == LrState.INVALID

    def has_deliverable(self) -> bool:
        """Whether some pending, enabled, not active interrupt exists and the GICD is on."""
        listed = self._listed
        if not self.states.enabled or not (self._queued or listed):
            return False  # (nothing pending or active anywhere: the common WFI)
        # ``_deliverable`` written out over the only candidates: the listed interrupts (the
        # list registers' ``any_deliverable``) and the queued ones no LR holds (pending and
        # not active); any other is not deliverable.
        if listed and self.list_registers.any_deliverable():
            return True
        irqs = self._irqs
        for irq in self._queued:
            if irq not in listed:
                state = irqs[irq]
                if state.enabled and state.pending and not state.active:
                    return True
        return False
