"""GICv2 virtualisation extensions: the hypervisor control interface (GICH) and GICV."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

from rthv.board.gic import regs
from rthv.board.gic.cpu_interface import decode_iar, encode_iar
from rthv.board.gic.list_register import (
    LrState,
    lr_iar_value,
    lr_physical_id,
    lr_priority,
    lr_with_state,
)
from rthv.board.gic.regs import BYTE_MASK, IDLE_PRIORITY, SPURIOUS_ID
from rthv.board.signal import Signal

WORD_MASK = 0xFFFF_FFFF
LR_BITS_PER_STATUS_REGISTER = 32
# The list-register bookkeeping below runs on every trap: plain int masks, no Enum values.
_STATE_BITS = regs.LR_STATE_MASK << regs.LR_STATE_SHIFT
_PENDING_BIT = LrState.PENDING << regs.LR_STATE_SHIFT
_ACTIVE_BIT = LrState.ACTIVE << regs.LR_STATE_SHIFT
_PENDING_ONLY = _PENDING_BIT
_EOI_MAINTENANCE_BITS = _STATE_BITS | regs.LR_HW | regs.LR_EOI  # == LR_EOI: an EISR bit
_GROUP_INTERRUPT_ENABLES = (
    regs.HCR_VGRP0EIE | regs.HCR_VGRP0DIE | regs.HCR_VGRP1EIE | regs.HCR_VGRP1DIE
)
# HCR bits enabling a MISR condition other than EOI (which needs no enable).
_MISR_ENABLES = regs.HCR_UIE | regs.HCR_LRENPIE | regs.HCR_NPIE | _GROUP_INTERRUPT_ENABLES
_PRIORITY_FIELD = regs.LR_PRIORITY_MASK << regs.LR_PRIORITY_SHIFT


@dataclass(frozen=True, slots=True)
class GicHypState:
    """Everything a world switch saves and restores for one vCPU."""

    hcr: int
    vmcr: int
    apr: int
    list_registers: tuple[int, ...]


class _Batch:
    """Defers ``changed()`` while open (nestable); calls it once on close if anything changed."""

    __slots__ = ("_changed", "_depth", "_stale")

    def __init__(self, changed: Callable[[], None]) -> None:
        self._changed = changed
        self._depth = 0
        self._stale = False

    def deferring(self) -> bool:
        """True inside a batch: the change is noted for its end."""
        if self._depth:
            self._stale = True
            return True
        return False

    def __enter__(self) -> None:
        self._depth += 1

    def __exit__(self, *_exception: object) -> None:
        self._depth -= 1
        if not self._depth and self._stale:
            self._stale = False
            self._changed()


class GicHypInterface:
    """GICH: list registers and control of one CPU's virtual interface (for the hypervisor).

    ``maintenance_out`` is high while HCR.En is set and any MISR condition holds. NP treats a
    pending+active LR as pending; EOICount is a plain 5-bit counter that wraps.
    """

    def __init__(self, num_list_registers: int = 4) -> None:
        if not 1 <= num_list_registers <= regs.MAX_LIST_REGISTERS:
            raise ValueError(f"num_list_registers must be in 1..64, got {num_list_registers}")
        self.num_list_registers = num_list_registers
        self.maintenance_out = Signal("gich.maintenance")
        self._hcr = 0
        self._vmcr = regs.VMCR_RESET
        self._apr = 0
        self._lrs = [0] * num_list_registers
        self._listeners: list[Callable[[], None]] = []
        self._batch = _Batch(self._changed)

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` after every state change (the GICV re-evaluates virq_out)."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        if self._batch.deferring():
            return
        self.maintenance_out.set(bool(self._hcr & regs.HCR_EN) and self._maintenance_due())
        for listener in self._listeners:
            listener()

    def _maintenance_due(self) -> bool:
        """``misr != 0``, without building MISR where only EOI maintenance can hold (every
        trap; the other conditions need HCR bits that are set only while LRs overflow)."""
        if self._hcr & _MISR_ENABLES:
            return self.misr != 0
        for lr in self._lrs:  # noqa: SIM110 - a plain loop: any() over a generator costs more
            if lr & _EOI_MAINTENANCE_BITS == regs.LR_EOI:
                return True
        return False

    def batch(self) -> AbstractContextManager[None]:
        """``with gich.batch():`` several register writes, as PL2 software makes them in a row
        with nothing in between: the maintenance line and the GICV's line are re-evaluated
        once, after the last write, instead of after each."""
        return self._batch

    # ---------------------------------------------------------------- programmatic API

    @property
    def hcr(self) -> int:
        """GICH_HCR (includes EOICount)."""
        return self._hcr

    @hcr.setter
    def hcr(self, value: int) -> None:
        self._hcr = value & regs.HCR_WRITE_MASK
        self._changed()

    @property
    def vmcr(self) -> int:
        """GICH_VMCR: the guest's view of CTLR, PMR, BPR and ABPR."""
        return self._vmcr

    @vmcr.setter
    def vmcr(self, value: int) -> None:
        self._vmcr = value & regs.VMCR_WRITE_MASK
        self._changed()

    @property
    def apr(self) -> int:
        """GICH_APR: one bit per active virtual preemption level (bit n = priority n << 3)."""
        return self._apr

    @apr.setter
    def apr(self, value: int) -> None:
        self._apr = value & WORD_MASK
        self._changed()

    @property
    def eoi_count(self) -> int:
        """GICH_HCR.EOICount: deactivations that found no matching list register."""
        return (self._hcr >> regs.HCR_EOICOUNT_SHIFT) & regs.HCR_EOICOUNT_MASK

    def _count_unmatched_eoi(self) -> None:
        count = (self.eoi_count + 1) & regs.HCR_EOICOUNT_MASK
        mask = regs.HCR_EOICOUNT_MASK << regs.HCR_EOICOUNT_SHIFT
        self._hcr = (self._hcr & ~mask) | count << regs.HCR_EOICOUNT_SHIFT

    @property
    def list_registers(self) -> tuple[int, ...]:
        """Raw values of all list registers."""
        return tuple(self._lrs)

    @list_registers.setter
    def list_registers(self, values: Sequence[int]) -> None:
        if len(values) != self.num_list_registers:
            raise ValueError(
                f"expected {self.num_list_registers} list registers, got {len(values)}"
            )
        self._lrs = [value & regs.LR_WRITE_MASK for value in values]
        self._changed()

    def holds_interrupts(self) -> bool:
        """Whether any list register holds an interrupt (pending and/or active)."""
        for lr in self._lrs:  # noqa: SIM110 - a plain loop: any() over a generator costs more
            if lr & _STATE_BITS:
                return True
        return False

    def list_register(self, index: int) -> int:
        """Raw value of list register ``index``."""
        return self._lrs[index]

    def set_list_register(self, index: int, value: int) -> None:
        """Write list register ``index`` (reserved bits dropped)."""
        self._lrs[index] = value & regs.LR_WRITE_MASK
        self._changed()

    def retire_and_place(self, retired: int, value: int) -> int | None:
        """Empty the list registers in the ``retired`` mask and every one whose EOI maintenance
        is due (EISR), then write ``value`` into the lowest empty one (per ELSRSR), all as one
        change: returns its index, or None, with nothing changed, when every LR is in use.

        What PL2 software does for a new interrupt: clear the LRs it has seen finish, write a
        free one (``set_list_register`` for each, in a batch)."""
        lrs = self._lrs
        free: int | None = None
        for index, lr in enumerate(lrs):
            if retired >> index & 1 or lr & _EOI_MAINTENANCE_BITS == regs.LR_EOI:
                lrs[index] = lr = 0
            if free is None and not lr & _STATE_BITS:
                free = index  # (no EISR entry is left: an LR without state is free)
        if free is None:
            return None  # (had one been emptied, it would be free)
        lrs[free] = value & regs.LR_WRITE_MASK
        self._changed()
        return free

    @property
    def eisr(self) -> int:
        """GICH_EISR as one mask: LRs that were EOIed with the EOI bit set (HW=0)."""
        mask = 0
        for index, lr in enumerate(self._lrs):
            if lr & _EOI_MAINTENANCE_BITS == regs.LR_EOI:
                mask |= 1 << index
        return mask

    @property
    def elsr(self) -> int:
        """GICH_ELSRSR as one mask: LRs that hold no interrupt and need no maintenance."""
        mask = 0
        for index, lr in enumerate(self._lrs):
            if not lr & _STATE_BITS and lr & _EOI_MAINTENANCE_BITS != regs.LR_EOI:
                mask |= 1 << index
        return mask

    def free_list_register(self) -> int | None:
        """Lowest empty list register (per ELSRSR), or None when all are in use."""
        elsr = self.elsr
        return (elsr & -elsr).bit_length() - 1 if elsr else None

    @property
    def misr(self) -> int:
        """GICH_MISR: the maintenance conditions that currently hold."""
        hcr, vmcr = self._hcr, self._vmcr
        valid = eoi = 0
        any_pending = False
        for lr in self._lrs:
            if lr & _STATE_BITS:
                valid += 1
                any_pending = any_pending or bool(lr & _PENDING_BIT)
            elif lr & _EOI_MAINTENANCE_BITS == regs.LR_EOI:
                eoi = regs.MISR_EOI
        misr = eoi
        if hcr & regs.HCR_UIE and valid <= 1:
            misr |= regs.MISR_U
        if hcr & regs.HCR_LRENPIE and self.eoi_count != 0:
            misr |= regs.MISR_LRENP
        if hcr & regs.HCR_NPIE and not any_pending:
            misr |= regs.MISR_NP
        if hcr & _GROUP_INTERRUPT_ENABLES:
            if hcr & regs.HCR_VGRP0EIE and vmcr & regs.VMCR_ENG0:
                misr |= regs.MISR_VGRP0E
            if hcr & regs.HCR_VGRP0DIE and not vmcr & regs.VMCR_ENG0:
                misr |= regs.MISR_VGRP0D
            if hcr & regs.HCR_VGRP1EIE and vmcr & regs.VMCR_ENG1:
                misr |= regs.MISR_VGRP1E
            if hcr & regs.HCR_VGRP1DIE and not vmcr & regs.VMCR_ENG1:
                misr |= regs.MISR_VGRP1D
        return misr

    @property
    def vtr(self) -> int:
        """GICH_VTR: 5 preemption and priority bits, the number of list registers."""
        bits = regs.VIRTUAL_PRIORITY_BITS - 1
        return (
            bits << regs.VTR_PRIBITS_SHIFT
            | bits << regs.VTR_PREBITS_SHIFT
            | (self.num_list_registers - 1)
        )

    def save(self) -> GicHypState:
        """Snapshot of the vCPU interface state (for a world switch)."""
        return GicHypState(self._hcr, self._vmcr, self._apr, tuple(self._lrs))

    def restore(self, state: GicHypState) -> None:
        """Load a snapshot taken by ``save``."""
        if len(state.list_registers) != self.num_list_registers:
            raise ValueError("snapshot has a different number of list registers")
        self._hcr = state.hcr & regs.HCR_WRITE_MASK
        self._vmcr = state.vmcr & regs.VMCR_WRITE_MASK
        self._apr = state.apr & WORD_MASK
        self._lrs = [value & regs.LR_WRITE_MASK for value in state.list_registers]
        self._changed()

    def load(self, hcr: int, vmcr: int, apr: int) -> None:
        """Load HCR, VMCR and APR with every list register empty: what a world switch does
        (as ``restore`` with empty list registers, without building a snapshot)."""
        self._hcr = hcr & regs.HCR_WRITE_MASK
        self._vmcr = vmcr & regs.VMCR_WRITE_MASK
        self._apr = apr & WORD_MASK
        self._lrs = [0] * self.num_list_registers
        self._changed()

    # ---------------------------------------------------------------- MMIO

    def read(self, offset: int, size: int) -> int:
        """MMIO read of a GICH register."""
        lr_end = regs.GICH_LR0 + self.num_list_registers * regs.REGISTER_BYTES
        if regs.GICH_LR0 <= offset < lr_end:
            return self._lrs[(offset - regs.GICH_LR0) // regs.REGISTER_BYTES]
        high = LR_BITS_PER_STATUS_REGISTER
        values = {
            regs.GICH_HCR: self._hcr,
            regs.GICH_VTR: self.vtr,
            regs.GICH_VMCR: self._vmcr,
            regs.GICH_MISR: self.misr,
            regs.GICH_EISR0: self.eisr & WORD_MASK,
            regs.GICH_EISR1: self.eisr >> high,
            regs.GICH_ELSRSR0: self.elsr & WORD_MASK,
            regs.GICH_ELSRSR1: self.elsr >> high,
            regs.GICH_APR: self._apr,
        }
        return values.get(offset, 0)

    def write(self, offset: int, size: int, value: int) -> None:
        """MMIO write of a GICH register."""
        lr_end = regs.GICH_LR0 + self.num_list_registers * regs.REGISTER_BYTES
        if regs.GICH_LR0 <= offset < lr_end:
            self.set_list_register((offset - regs.GICH_LR0) // regs.REGISTER_BYTES, value)
        elif offset == regs.GICH_HCR:
            self.hcr = value
        elif offset == regs.GICH_VMCR:
            self.vmcr = value
        elif offset == regs.GICH_APR:
            self.apr = value


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
        for index, lr in enumerate(self.hyp._lrs):
            if lr & _STATE_BITS != _PENDING_ONLY:
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
        if not hyp._hcr & regs.HCR_EN:
            return None
        vmcr = hyp._vmcr
        best = -1
        best_field = 0
        for index, lr in enumerate(hyp._lrs):
            if lr & _STATE_BITS != _PENDING_ONLY:
                continue
            if not vmcr & (regs.VMCR_ENG1 if lr & regs.LR_GRP1 else regs.VMCR_ENG0):
                continue
            field = lr & _PRIORITY_FIELD
            if best < 0 or field < best_field:
                best, best_field = index, field
        if best < 0:
            return None
        priority = best_field >> regs.LR_PRIORITY_SHIFT << regs.VIRTUAL_PRIORITY_SHIFT
        pmr = (vmcr >> regs.VMCR_PMR_SHIFT & regs.VMCR_PMR_MASK) << regs.VIRTUAL_PRIORITY_SHIFT
        if priority >= pmr:
            return None
        apr = hyp._apr
        if apr and self.group_priority(hyp._lrs[best]) >= self.running_priority:
            return None  # (nothing active: the running priority is idle, 0xFF, never reached)
        return best

    def _update(self) -> None:
        self.virq_out.set(self._signalled() is not None)

    def acknowledge(self) -> int:
        """Read GICV_IAR: move the signalled LR from pending to active, return its ID."""
        index = self._signalled()
        if index is None:
            return SPURIOUS_ID
        hyp = self.hyp
        lrs = hyp._lrs
        lr = lrs[index]
        level = self.group_priority(lr) >> regs.VIRTUAL_PRIORITY_SHIFT
        hyp._apr |= 1 << level
        lrs[index] = lr_with_state(lr, LrState.ACTIVE)
        if self._settled_without_pending():
            self.virq_out.set(False)
        else:
            hyp._changed()
        return lr_iar_value(lr)

    def _settled_without_pending(self) -> bool:
        """Whether, after the guest moved an LR from pending to active (IAR) or from active to
        inactive with HW=1 (EOIR), ``hyp._changed()`` would only lower ``virq_out``: no LR is
        pending alone (nothing to signal), no maintenance condition other than EOI is enabled
        (that change cannot move EOI maintenance), nothing is batched, and the GICV is the
        GICH's only listener. The short way of the common interrupt: one LR held the only
        pending interrupt."""
        hyp = self.hyp
        if hyp._hcr & _MISR_ENABLES or hyp._batch._depth or len(hyp._listeners) != 1:
            return False
        for lr in hyp._lrs:  # noqa: SIM110 - a plain loop: any() over a generator costs more
            if lr & _STATE_BITS == _PENDING_ONLY:
                return False
        return True

    def end_of_interrupt(self, value: int) -> None:
        """Write GICV_EOIR: drop the highest active priority; deactivate unless VEOIM."""
        irq, source = decode_iar(value)
        if irq >= regs.MAX_IRQS:
            return
        hyp = self.hyp
        hyp._apr &= hyp._apr - 1  # clear the lowest set bit: the highest active priority
        if hyp._vmcr & regs.VMCR_EOIM:
            hyp._changed()
        elif self._deactivate(irq, source) and self._settled_without_pending():
            self.virq_out.set(False)
        else:
            hyp._changed()

    def deactivate(self, value: int) -> None:
        """Write GICV_DIR: deactivate the LR holding the interrupt in ``value``."""
        irq, source = decode_iar(value)
        if irq < regs.MAX_IRQS:
            self._deactivate(irq, source)
            self.hyp._changed()

    def _deactivate(self, irq: int, source: int) -> bool:
        """Deactivate the LR holding ``irq``; True if that was a HW=1 LR (no EOI maintenance
        can follow from it)."""
        hyp = self.hyp
        for index, lr in enumerate(hyp._lrs):
            if not lr & _ACTIVE_BIT or lr & regs.LR_VIRTUAL_ID_MASK != irq:
                continue
            physical = lr_physical_id(lr)
            if physical is None and lr_iar_value(lr) != encode_iar(irq, source):
                continue  # an SGI from another source CPU
            hyp._lrs[index] = lr & ~_ACTIVE_BIT
            if physical is not None and self._deactivate_physical is not None:
                self._deactivate_physical(physical)
            return physical is not None
        hyp._count_unmatched_eoi()
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
