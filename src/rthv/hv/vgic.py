"""One VM's virtual GIC: the hypervisor's emulation of the GICD and its list-register management.

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

State model: a ``VirqState`` holds what is not in a list register; while the VM is loaded the LRs
it has written (``_listed``) are authoritative for the pending/active state they carry. At most
one LR per interrupt. ``save_from`` folds every LR back into the ``VirqState`` states, so a switched
out VM has all its state here; ``restore_to`` re-lists active interrupts first, then pending
ones. The ``VirtualGic`` owns the whole ``GicHypState`` of its vCPU: HCR (EOICount kept, En
forced on, UIE managed), VMCR and APR are saved and restored verbatim; list registers are not
restored verbatim but rebuilt from the folded state (positions may change).

Refill policy when more interrupts want an LR than there are free LRs: a pending interrupt of
higher priority evicts the lowest-priority purely pending LR; what is left queued sets HCR.UIE
(underflow maintenance, not with a single LR where it would fire at once) and the EOI bit of
every HW=0 LR, so each virtual EOI of one of them raises a maintenance interrupt and the slot
is refilled at once; without overflow both are cleared again. NPIE is never used: with every LR
holding an active interrupt it would fire continuously while nothing can be refilled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rthv.board.gic import regs
from rthv.board.gic.distributor import GicDistributor
from rthv.board.gic.list_register import (
    LrState,
    lr_state,
    lr_with_state,
    make_list_register,
)
from rthv.board.gic.regs import BANKED_COUNT, BYTE_BITS, BYTE_MASK, SGI_COUNT
from rthv.board.gic.virtual_interface import GicHypInterface, GicHypState
from rthv.hv.vgic_registers import (
    VM_CPU_MASK,
    GicdRegisterFile,
    GicdViolation,
    VirqKind,
    VirqState,
)

__all__ = ["GicdViolation", "VirqKind", "VirtualGic"]

MIN_PRIORITY_BITS = 4  # GICv2: at least 16 priority levels
RESET_PRIORITY = 0  # GICD_IPRIORITYR reset value, mirrored to passthrough SPIs at creation
PARKED_HCR = 0  # GICH_HCR while no vCPU is loaded: virtual interface off, no maintenance


class VirtualGic:
    """The GICD a VM sees (an ``MmioDevice``) and the list registers that deliver its IRQs."""

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
        self.vm_name = vm_name
        self.num_irqs = num_irqs
        self.physical = physical
        self.priority_mask = (BYTE_MASK << (BYTE_BITS - priority_bits)) & BYTE_MASK
        self.passthrough = frozenset(passthrough)
        self.virtual = frozenset(virtual)
        self._check_ids()
        self._irqs = {
            irq: VirqState(irq, VirqKind.BANKED, edge=irq < SGI_COUNT)
            for irq in range(BANKED_COUNT)
        }
        for irq in sorted(self.passthrough):
            self._irqs[irq] = VirqState(irq, VirqKind.PASSTHROUGH, edge=physical.is_edge(irq))
            physical.set_targets(irq, VM_CPU_MASK)
            physical.set_enabled(irq, False)
            physical.set_priority(irq, RESET_PRIORITY)
        for irq in sorted(self.virtual):
            self._irqs[irq] = VirqState(irq, VirqKind.VIRTUAL, edge=True)
        self._enabled = False
        self._gich: GicHypInterface | None = None  # the GICH holding this vCPU, while loaded
        self._listed: dict[int, int] = {}  # irq -> list register index, while loaded
        self._levels: dict[int, Callable[[], bool]] = {}  # level-sensitive virtual sources
        self._hcr = regs.HCR_EN
        self._vmcr = regs.VMCR_RESET
        self._apr = 0
        self.maintenance_count = 0
        self._registers = GicdRegisterFile(self)

    def _check_ids(self) -> None:
        both = self.passthrough & self.virtual
        if both:
            raise ValueError(f"{self.vm_name}: IRQs {sorted(both)} both passthrough and virtual")
        for irq in self.passthrough | self.virtual:
            if not BANKED_COUNT <= irq < self.num_irqs:
                raise ValueError(f"{self.vm_name}: IRQ {irq} is not an SPI below {self.num_irqs}")
        for irq in self.passthrough:
            if irq >= self.physical.num_irqs:
                raise ValueError(f"{self.vm_name}: IRQ {irq} is not a physical interrupt")

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
        return self._virq(irq).kind

    def _virq(self, irq: int) -> VirqState:
        state = self._irqs.get(irq)
        if state is None:
            raise ValueError(f"{self.vm_name}: interrupt {irq} is not this VM's")
        return state

    @property
    def loaded(self) -> bool:
        """Whether this vCPU's interface state is in a GICH right now."""
        return self._gich is not None

    @property
    def enabled(self) -> bool:
        """GICD_CTLR.Enable of the VM's distributor."""
        return self._enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        self._enabled = value
        if not value:
            for irq in list(self._listed):
                self._recall(irq)

    def is_enabled(self, irq: int) -> bool:
        """Enable bit of ``irq``."""
        return self._virq(irq).enabled

    def set_enabled(self, irq: int, enabled: bool) -> None:
        """Enable/disable ``irq``; a disabled interrupt keeps pending but leaves its LR."""
        state = self._virq(irq)
        state.enabled = enabled
        if state.hardware:
            self.physical.set_enabled(irq, enabled)
        if not enabled:
            self._recall(irq)

    def is_pending(self, irq: int) -> bool:
        """Pending in the VM (queued, in an LR, or latched physically for passthrough IRQs)."""
        state = self._virq(irq)
        if state.pending or self._lr_state(irq) & LrState.PENDING:
            return True
        return state.hardware and self.physical.is_pending(irq)

    def set_pending(self, irq: int, pending: bool) -> None:
        """ISPENDR/ICPENDR semantics; passthrough IRQs are set/cleared at the physical GICD."""
        state = self._virq(irq)
        if state.hardware:
            self.physical.set_pending(irq, pending)
        if pending and not state.hardware:
            state.pending = True
        elif not pending:
            self._drop(state, LrState.PENDING)

    def is_active(self, irq: int) -> bool:
        """Active in the VM (acknowledged by the guest and not yet deactivated)."""
        return self._virq(irq).active or bool(self._lr_state(irq) & LrState.ACTIVE)

    def set_active(self, irq: int, active: bool) -> None:
        """ISACTIVER/ICACTIVER semantics (setting a HW=1 LR active is ignored)."""
        state = self._virq(irq)
        if not active:
            self._drop(state, LrState.ACTIVE)
            return
        index = self._listed.get(irq)
        if index is None:
            if state.hardware:
                self.physical.set_active(irq, True)
            state.active = True
            return
        value = self._loaded_gich().list_register(index)
        if not value & regs.LR_HW:
            self._set_lr_state(irq, lr_state(value) | LrState.ACTIVE)

    def priority(self, irq: int) -> int:
        """Priority byte of ``irq``."""
        return self._virq(irq).priority

    def set_priority(self, irq: int, priority: int) -> None:
        """Set the priority of ``irq`` (mirrored physically for passthrough IRQs)."""
        state = self._virq(irq)
        priority &= self.priority_mask
        if priority == state.priority:
            return
        state.priority = priority
        if state.hardware:
            self.physical.set_priority(irq, priority)
        self._recall(irq)  # a pending LR is re-placed by priority at the next flush

    def is_edge(self, irq: int) -> bool:
        """Whether ``irq`` is configured edge-triggered (recorded; virtual IRQs act as edges)."""
        return self._virq(irq).edge

    def set_edge(self, irq: int, edge: bool) -> None:
        """Configure the trigger of ``irq`` (SGIs stay edge; mirrored for passthrough IRQs)."""
        state = self._virq(irq)
        if irq < SGI_COUNT:
            return
        state.edge = edge
        if state.hardware:
            self.physical.set_edge(irq, edge)

    def target(self, irq: int) -> int:
        """The ITARGETSR byte the guest last wrote for ``irq`` (it always reads 0x01)."""
        return self._virq(irq).target

    def set_target(self, irq: int, target: int) -> None:
        """Record an ITARGETSR write; SGI/PPI targets are read-only, SPIs go to vCPU 0 anyway."""
        state = self._virq(irq)
        if irq >= BANKED_COUNT:
            state.target = target & BYTE_MASK

    # ---------------------------------------------------------------- injection API

    def raise_virtual(self, irq: int) -> bool:
        """Make a virtual, SGI or PPI interrupt pending (edge); True if deliverable now."""
        state = self._virq(irq)
        if state.hardware:
            raise ValueError(f"{self.vm_name}: IRQ {irq} is passthrough, use physical_arrived")
        state.pending = True
        return self._deliverable(state)

    def physical_arrived(self, irq: int) -> bool:
        """The hypervisor acknowledged passthrough ``irq`` (active, priority dropped) for us."""
        state = self._virq(irq)
        if not state.hardware:
            raise ValueError(f"{self.vm_name}: IRQ {irq} is not a passthrough IRQ")
        state.pending = True
        return self._deliverable(state)

    def has_deliverable(self) -> bool:
        """Whether some pending, enabled, not active interrupt exists and the GICD is on."""
        if not self._enabled:
            return False
        listed = self._listed
        return any(
            self._deliverable(state)
            for state in self._irqs.values()
            if state.enabled and (state.pending or state.irq in listed)
        )  # (neither pending nor in an LR: not deliverable; the filter only spares calls)

    def _deliverable(self, state: VirqState) -> bool:
        if not (self._enabled and state.enabled):
            return False
        in_lr = self._lr_state(state.irq)
        if in_lr == LrState.PENDING:
            return True
        return state.pending and not state.active and in_lr == LrState.INVALID

    # ---------------------------------------------------------------- list registers

    def flush_to(self, gich: GicHypInterface) -> int:
        """Retire finished LRs and fill free ones, highest priority first; returns injections.

        Loads this vCPU's state into ``gich`` first if it is not there (as ``restore_to``).
        """
        if self._gich is None:
            self._load(gich)
        elif self._gich is not gich:
            raise RuntimeError(f"{self.vm_name}: vGIC is loaded in another GICH")
        self._retire(gich)
        return self._fill(gich)

    def maintenance(self, gich: GicHypInterface) -> int:
        """A maintenance IRQ while this VM runs: retire EOIed LRs, refill; returns injections."""
        if self._gich is not gich:
            raise RuntimeError(f"{self.vm_name}: maintenance for a vGIC that is not loaded")
        self.maintenance_count += 1
        return self.flush_to(gich)

    def save_from(self, gich: GicHypInterface) -> None:
        """Switch-out: fold every LR back into the VM's state, keep HCR/VMCR/APR, park GICH."""
        if self._gich is not gich:
            raise RuntimeError(f"{self.vm_name}: save_from for a vGIC that is not loaded")
        self._retire(gich)
        for irq, index in self._listed.items():
            state, held = self._irqs[irq], lr_state(gich.list_register(index))
            state.pending |= bool(held & LrState.PENDING)
            state.active |= bool(held & LrState.ACTIVE)
        self._listed.clear()
        saved = gich.save()
        self._hcr, self._vmcr, self._apr = saved.hcr & ~regs.HCR_UIE, saved.vmcr, saved.apr
        empty = (0,) * gich.num_list_registers
        gich.restore(GicHypState(PARKED_HCR, regs.VMCR_RESET, 0, empty))
        self._gich = None

    def restore_to(self, gich: GicHypInterface) -> int:
        """Switch-in: load saved HCR/VMCR/APR, re-list active IRQs, flush; returns injections."""
        if self._gich is not None:
            raise RuntimeError(f"{self.vm_name}: vGIC is already loaded")
        self._load(gich)
        return self.flush_to(gich)

    def _load(self, gich: GicHypInterface) -> None:
        if any(lr_state(value) != LrState.INVALID for value in gich.list_registers):
            raise RuntimeError(f"{self.vm_name}: GICH still holds another vCPU's interrupts")
        empty = (0,) * gich.num_list_registers
        gich.restore(GicHypState(self._hcr | regs.HCR_EN, self._vmcr, self._apr, empty))
        self._gich = gich

    def _loaded_gich(self) -> GicHypInterface:
        if self._gich is None:
            raise RuntimeError(f"{self.vm_name}: vGIC is not loaded")
        return self._gich

    def _lr_state(self, irq: int) -> int:
        index = self._listed.get(irq)
        if index is None:
            return LrState.INVALID
        return lr_state(self._loaded_gich().list_register(index))

    def _set_lr_state(self, irq: int, state: int) -> None:
        """Change the state of the LR holding ``irq``; an emptied LR is freed."""
        gich, index = self._loaded_gich(), self._listed[irq]
        if state == LrState.INVALID:
            gich.set_list_register(index, 0)
            del self._listed[irq]
        else:
            gich.set_list_register(index, lr_with_state(gich.list_register(index), state))

    def _recall(self, irq: int) -> None:
        """Take the pending part of ``irq`` out of its LR back into the queue."""
        held = self._lr_state(irq)
        if held & LrState.PENDING:
            self._irqs[irq].pending = True
            self._set_lr_state(irq, held & ~LrState.PENDING)

    def _drop(self, state: VirqState, part: LrState) -> None:
        """Clear the pending or active part of an interrupt; passthrough: deactivate physically."""
        had = state.pending if part == LrState.PENDING else state.active
        if part == LrState.PENDING:
            state.pending = False
        else:
            state.active = False
        held = self._lr_state(state.irq)
        if held & part:
            self._set_lr_state(state.irq, held & ~part)
            had = True
        if had and state.hardware:
            self.physical.deactivate(state.irq)

    def set_level_source(self, irq: int, sample: Callable[[], bool]) -> None:
        """Make virtual interrupt ``irq`` level-sensitive: while ``sample()`` stays high after
        the guest's EOI, the interrupt is pending again (an EOI maintenance interrupt tells)."""
        self._levels[irq] = sample

    def resample(self, irq: int) -> bool:
        """Pend a level source whose line is high and that is neither pending nor in service."""
        sample = self._levels.get(irq)
        state = self._irqs[irq]
        if sample is None or state.pending or state.active or irq in self._listed:
            return False
        if sample():
            state.pending = True
        return self._deliverable(state)

    def _retire(self, gich: GicHypInterface) -> None:
        """Free the LRs the guest has deactivated (and any EOI maintenance left in GICH)."""
        for irq, index in list(self._listed.items()):
            if lr_state(gich.list_register(index)) == LrState.INVALID:
                gich.set_list_register(index, 0)
                del self._listed[irq]
                if irq in self._levels and self._levels[irq]():
                    self._irqs[irq].pending = True  # level still high after EOI
        eisr = gich.eisr
        for index in range(gich.num_list_registers):
            if eisr >> index & 1:
                gich.set_list_register(index, 0)

    def _fill(self, gich: GicHypInterface) -> int:
        written = sum(self._merge(gich, irq, index) for irq, index in sorted(self._listed.items()))
        listed, enabled = self._listed, self._enabled
        queue = sorted(
            (
                s
                for s in self._irqs.values()
                if (s.active or (s.pending and s.enabled and enabled)) and s.irq not in listed
            ),  # wants an LR: active, or pending and enabled (runs at every switch and flush)
            key=VirqState.order,
        )
        overflow = False
        for state in queue:
            index = gich.free_list_register()
            if index is None:
                index = self._evict_for(gich, state)
                overflow = True  # either the evicted IRQ or this one stays queued
            if index is not None:
                written += self._list(gich, index, state)
        self._request_maintenance(gich, overflow)
        return written

    def _merge(self, gich: GicHypInterface, irq: int, index: int) -> int:
        """A new pending instance of an IRQ already in an LR (HW=0): coalesce or pend+active."""
        state = self._irqs[irq]
        if not state.pending or state.hardware:
            return 0  # a passthrough instance waits until its LR is retired
        value = gich.list_register(index)
        if lr_state(value) & LrState.PENDING:
            state.pending = False  # edges coalesce while pending
            return 0
        if not (self._enabled and state.enabled):
            return 0
        gich.set_list_register(index, lr_with_state(value, LrState.PENDING_ACTIVE))
        state.pending = False
        return 1

    def _list(self, gich: GicHypInterface, index: int, state: VirqState) -> int:
        """Write ``state`` into LR ``index``; returns 1 if that injected a pending interrupt."""
        pending = state.pending and state.enabled and self._enabled
        if not state.active:
            held = LrState.PENDING
        elif pending and not state.hardware:
            held = LrState.PENDING_ACTIVE
        else:
            held = LrState.ACTIVE
        physical_id = state.irq if state.hardware else None
        value = make_list_register(state.irq, state.priority, state=held, physical_id=physical_id)
        gich.set_list_register(index, value)
        self._listed[state.irq] = index
        state.active = False
        if not held & LrState.PENDING:
            return 0
        state.pending = False
        return 1

    def _evict_for(self, gich: GicHypInterface, state: VirqState) -> int | None:
        """Free the LR of the lowest-priority purely pending IRQ if ``state`` outranks it."""
        victims = [
            (self._irqs[irq].order(), irq)
            for irq, index in self._listed.items()
            if lr_state(gich.list_register(index)) == LrState.PENDING
        ]
        if not victims:
            return None
        order, irq = max(victims)
        if not state.active and order <= state.order():
            return None
        index = self._listed[irq]
        self._recall(irq)
        return index

    def _request_maintenance(self, gich: GicHypInterface, overflow: bool) -> None:
        """HCR.En on; with IRQs left queued, ask for underflow and EOI maintenance (else not)."""
        hcr = gich.hcr | regs.HCR_EN
        if overflow and gich.num_list_registers > 1:
            hcr |= regs.HCR_UIE
        else:
            hcr &= ~regs.HCR_UIE
        if hcr != gich.hcr:
            gich.hcr = hcr
        for irq, index in self._listed.items():
            value = gich.list_register(index)
            if value & regs.LR_HW:
                continue
            notify = overflow or irq in self._levels  # a level source is re-sampled at EOI
            wanted = value | regs.LR_EOI if notify else value & ~regs.LR_EOI
            if wanted != value:
                gich.set_list_register(index, wanted)
