"""GICv2 virtualisation extensions: the virtual CPU interface (GICV) a guest sees."""

from __future__ import annotations

from collections.abc import Callable

from rthv.board.gic import regs
from rthv.board.gic.cpu_interface import decode_iar, encode_iar
from rthv.board.gic.hyp_interface import MISR_ENABLES, GicHypInterface
from rthv.board.gic.list_register import (
    ACTIVE_BIT,
    PENDING_ONLY,
    PRIORITY_FIELD,
    STATE_BITS,
    LrState,
    lr_iar_value,
    lr_physical_id,
    lr_priority,
    lr_with_state,
)
from rthv.board.gic.regs import BYTE_MASK, IDLE_PRIORITY, SPURIOUS_ID
from rthv.board.signal import Signal


class GicVirtualCpuInterface:
    """GICV: the CPU interface a guest sees, backed by the list registers of ``hyp``.

    ``deactivate_physical(irq)`` is called when the guest deactivates a HW=1 entry (pass the
    physical ``GicCpuInterface.deactivate``). ``virq_out`` is the virtual IRQ line to the vCPU.
    """

    def __init__(
        self, hyp: GicHypInterface, deactivate_physical: Callable[[int], None] | None = None
    ) -> None:
        self.hyp = hyp
        self.virq_out = Signal("gicv.virq")
        self._deactivate_physical = deactivate_physical
        # The LR ``_signalled`` found at the GICH's last change (what an IAR takes): every
        # change of the GICH's state ends in ``hyp.changed()`` or, from the GICV itself, in a
        # settled IAR or EOIR, which leaves nothing signalled.
        self.signalled_lr = self._signalled()
        hyp.add_listener(self._update)

    def _vmcr_field(self, shift: int, mask: int) -> int:
        return (self.hyp.vmcr >> shift) & mask

    def _set_vmcr_field(self, shift: int, mask: int, value: int) -> None:
        self.hyp.vmcr = (self.hyp.vmcr & ~(mask << shift)) | (value & mask) << shift

    @property
    def pmr(self) -> int:
        """Virtual priority mask as a priority byte (GICH_VMCR.VPMR << 3)."""
        field = self._vmcr_field(regs.VMCR_PMR_SHIFT, regs.VMCR_PMR_MASK)
        return field << regs.VIRTUAL_PRIORITY_SHIFT

    @property
    def running_priority(self) -> int:
        """Virtual running priority from GICH_APR (0xFF when nothing is active)."""
        apr = self.hyp.apr
        if not apr:
            return IDLE_PRIORITY
        return ((apr & -apr).bit_length() - 1) << regs.VIRTUAL_PRIORITY_SHIFT

    def group_priority(self, lr: int) -> int:
        """Preemption part of the priority of list register ``lr`` (VBPR, or VABPR for Grp1)."""
        vmcr = self.hyp.vmcr
        if lr & regs.LR_GRP1 and not vmcr & regs.VMCR_CBPR:
            shift = max(
                self._vmcr_field(regs.VMCR_ABPR_SHIFT, regs.BPR_MASK), regs.VIRTUAL_MIN_ABPR
            )
        else:
            shift = max(self._vmcr_field(regs.VMCR_BPR_SHIFT, regs.BPR_MASK), regs.VIRTUAL_MIN_BPR)
            shift += 1
        return lr_priority(lr) & (BYTE_MASK << shift) & BYTE_MASK

    def _highest_pending(self) -> int | None:
        vmcr = self.hyp.vmcr
        best: int | None = None
        best_priority = 0
        for index, lr in enumerate(self.hyp.lr_values):
            if lr & STATE_BITS != PENDING_ONLY:
                continue
            if not vmcr & (regs.VMCR_ENG1 if lr & regs.LR_GRP1 else regs.VMCR_ENG0):
                continue
            priority = (lr >> regs.LR_PRIORITY_SHIFT) & regs.LR_PRIORITY_MASK
            if best is None or priority < best_priority:
                best, best_priority = index, priority
        return best

    def _signalled(self) -> int | None:
        """The LR whose interrupt is signalled to the vCPU, or None (``_highest_pending``,
        then PMR and the running priority, as ``pmr``, ``group_priority`` and
        ``running_priority`` define them): one pass, as it runs after every GICH change."""
        hyp = self.hyp
        if not hyp.hcr_bits & regs.HCR_EN:
            return None
        vmcr = hyp.vmcr_bits
        best = -1
        best_field = 0
        for index, lr in enumerate(hyp.lr_values):
            if lr & STATE_BITS != PENDING_ONLY:
                continue
            if not vmcr & (regs.VMCR_ENG1 if lr & regs.LR_GRP1 else regs.VMCR_ENG0):
                continue
            field = lr & PRIORITY_FIELD
            if best < 0 or field < best_field:
                best, best_field = index, field
        if best < 0:
            return None
        priority = best_field >> regs.LR_PRIORITY_SHIFT << regs.VIRTUAL_PRIORITY_SHIFT
        pmr = (vmcr >> regs.VMCR_PMR_SHIFT & regs.VMCR_PMR_MASK) << regs.VIRTUAL_PRIORITY_SHIFT
        if priority >= pmr:
            return None
        apr = hyp.apr_bits
        if apr and self.group_priority(hyp.lr_values[best]) >= self.running_priority:
            return None  # (nothing active: the running priority is idle, 0xFF, never reached)
        return best

    def _update(self) -> None:
        index = self.signalled_lr = self._signalled()
        if (index is not None) != self.virq_out.level:
            self.virq_out.set(index is not None)

    def acknowledge(self) -> int:
        """Read GICV_IAR: move the signalled LR from pending to active, return its ID."""
        hyp = self.hyp
        index = self._signalled() if hyp.batching() else self.signalled_lr
        if index is None:
            return SPURIOUS_ID
        lrs = hyp.lr_values
        lr = lrs[index]
        level = self.group_priority(lr) >> regs.VIRTUAL_PRIORITY_SHIFT
        hyp.apr_bits |= 1 << level
        lrs[index] = lr_with_state(lr, LrState.ACTIVE)
        if self._settled_without_pending():
            self.signalled_lr = None
            self.virq_out.set(False)
        else:
            hyp.changed()
        return lr_iar_value(lr)

    def _settled_without_pending(self) -> bool:
        """Whether, after the guest moved an LR from pending to active (IAR) or from active to
        inactive with HW=1 (EOIR), ``hyp.changed()`` would only lower ``virq_out``: no LR is
        pending alone (nothing to signal), no maintenance condition other than EOI is enabled
        (that change cannot move EOI maintenance), nothing is batched, and the GICV is the
        GICH's only listener. The short way of the common interrupt: one LR held the only
        pending interrupt."""
        hyp = self.hyp
        if hyp.hcr_bits & MISR_ENABLES or not hyp.guest_view_alone():
            return False
        for lr in hyp.lr_values:  # noqa: SIM110 - a plain loop: any() over a generator costs more
            if lr & STATE_BITS == PENDING_ONLY:
                return False
        return True

    def end_of_interrupt(self, value: int) -> None:
        """Write GICV_EOIR: drop the highest active priority; deactivate unless VEOIM."""
        irq, source = decode_iar(value)
        if irq >= regs.MAX_IRQS:
            return
        hyp = self.hyp
        hyp.apr_bits &= hyp.apr_bits - 1  # clear the lowest set bit: the highest active priority
        if hyp.vmcr_bits & regs.VMCR_EOIM:
            hyp.changed()
        elif self._deactivate(irq, source) and self._settled_without_pending():
            self.signalled_lr = None
            if self.virq_out.level:  # (mostly low already: the IAR lowered it)
                self.virq_out.set(False)
        else:
            hyp.changed()

    def deactivate(self, value: int) -> None:
        """Write GICV_DIR: deactivate the LR holding the interrupt in ``value``."""
        irq, source = decode_iar(value)
        if irq < regs.MAX_IRQS:
            self._deactivate(irq, source)
            self.hyp.changed()

    def _deactivate(self, irq: int, source: int) -> bool:
        """Deactivate the LR holding ``irq``; True if that was a HW=1 LR (no EOI maintenance
        can follow from it)."""
        hyp = self.hyp
        for index, lr in enumerate(hyp.lr_values):
            if not lr & ACTIVE_BIT or lr & regs.LR_VIRTUAL_ID_MASK != irq:
                continue
            physical = lr_physical_id(lr)
            if physical is None and lr_iar_value(lr) != encode_iar(irq, source):
                continue  # an SGI from another source CPU
            hyp.lr_values[index] = lr & ~ACTIVE_BIT
            if physical is not None and self._deactivate_physical is not None:
                self._deactivate_physical(physical)
            return physical is not None
        hyp.count_unmatched_eoi()
        return False

    def highest_pending_id(self) -> int:
        """GICV_HPPIR: the highest-priority pending LR's ID, 1023 if none."""
        index = self._highest_pending()
        if index is None:
            return SPURIOUS_ID
        return lr_iar_value(self.hyp.list_register(index))

    # ---------------------------------------------------------------- MMIO

    def read(self, offset: int, size: int) -> int:
        """MMIO read of a GICV register (the GICC layout)."""
        if offset == regs.GICC_IAR:
            return self.acknowledge()
        if offset == regs.GICC_HPPIR:
            return self.highest_pending_id()
        values = {
            regs.GICC_CTLR: self.hyp.vmcr & regs.VMCR_CTLR_MASK,
            regs.GICC_PMR: self.pmr,
            regs.GICC_BPR: self._vmcr_field(regs.VMCR_BPR_SHIFT, regs.BPR_MASK),
            regs.GICC_ABPR: self._vmcr_field(regs.VMCR_ABPR_SHIFT, regs.BPR_MASK),
            regs.GICC_RPR: self.running_priority,
            regs.GICC_AIAR: SPURIOUS_ID,
            regs.GICC_AHPPIR: SPURIOUS_ID,
            regs.GICC_APR0: self.hyp.apr,
            regs.GICC_IIDR: regs.GICC_IIDR_VALUE,
        }
        return values.get(offset, 0)

    def write(self, offset: int, size: int, value: int) -> None:
        """MMIO write of a GICV register (the GICC layout)."""
        if offset == regs.GICC_CTLR:
            self.hyp.vmcr = (self.hyp.vmcr & ~regs.VMCR_CTLR_MASK) | (value & regs.VMCR_CTLR_MASK)
        elif offset == regs.GICC_PMR:
            field = value >> regs.VIRTUAL_PRIORITY_SHIFT
            self._set_vmcr_field(regs.VMCR_PMR_SHIFT, regs.VMCR_PMR_MASK, field)
        elif offset == regs.GICC_BPR:
            bpr = max(value & regs.BPR_MASK, regs.VIRTUAL_MIN_BPR)
            self._set_vmcr_field(regs.VMCR_BPR_SHIFT, regs.BPR_MASK, bpr)
        elif offset == regs.GICC_ABPR:
            abpr = max(value & regs.BPR_MASK, regs.VIRTUAL_MIN_ABPR)
            self._set_vmcr_field(regs.VMCR_ABPR_SHIFT, regs.BPR_MASK, abpr)
        elif offset == regs.GICC_EOIR:
            self.end_of_interrupt(value)
        elif offset == regs.GICC_DIR:
            self.deactivate(value)
        elif offset == regs.GICC_APR0:
            self.hyp.apr = value
