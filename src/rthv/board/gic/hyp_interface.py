"""GICv2 virtualisation extensions: the hypervisor's control interface (GICH) of one CPU."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Final

from rthv.board.gic import regs
from rthv.board.gic.list_register import EOI_MAINTENANCE_BITS, PENDING_BIT, STATE_BITS
from rthv.board.signal import Signal

WORD_MASK: Final = 0xFFFF_FFFF
LR_BITS_PER_STATUS_REGISTER: Final = 32
_GROUP_INTERRUPT_ENABLES: Final = (
    regs.HCR_VGRP0EIE | regs.HCR_VGRP0DIE | regs.HCR_VGRP1EIE | regs.HCR_VGRP1DIE
)
# HCR bits enabling a MISR condition other than EOI (which needs no enable).
MISR_ENABLES: Final = regs.HCR_UIE | regs.HCR_LRENPIE | regs.HCR_NPIE | _GROUP_INTERRUPT_ENABLES


@dataclass(frozen=True, slots=True)
class GicHypState:
    """Everything a world switch saves and restores for one vCPU."""

    hcr: int
    vmcr: int
    apr: int
    list_registers: tuple[int, ...]


class _Batch:
    """Defers ``changed()`` while open (nestable); calls it once on close if anything changed."""

    __slots__ = ("_changed", "depth", "stale")

    def __init__(self, changed: Callable[[], None]) -> None:
        self._changed = changed
        self.depth = 0
        self.stale = False  # a change was deferred: ``changed()`` is called at the end

    def __enter__(self) -> None:
        self.depth += 1

    def __exit__(self, *_exception: object) -> None:
        self.depth -= 1
        if not self.depth and self.stale:
            self.stale = False
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
        # The virtual CPU interface's state, plain ints. The GICH (this class, the hypervisor's
        # view) and the GICV (GicVirtualCpuInterface, the guest's view) are two views of it,
        # as in the GIC architecture: the GICV reads and writes these fields itself and then
        # calls ``changed()``; everything else goes through the properties and methods below.
        self.hcr_bits = 0
        self.vmcr_bits = regs.VMCR_RESET
        self.apr_bits = 0
        self.lr_values = [0] * num_list_registers
        self._listeners: list[Callable[[], None]] = []
        self._batch = _Batch(self.changed)

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` after every state change (the GICV re-evaluates virq_out)."""
        self._listeners.append(listener)

    def changed(self) -> None:
        """Re-evaluate the maintenance line and tell the listeners (deferred inside a batch)."""
        batch = self._batch
        if batch.depth:
            batch.stale = True
            return
        due = bool(self.hcr_bits & regs.HCR_EN) and self._maintenance_due()
        if due != self.maintenance_out.level:  # (mostly not: it rises only for maintenance)
            self.maintenance_out.set(due)
        for listener in self._listeners:
            listener()

    def _maintenance_due(self) -> bool:
        """``misr != 0``, without building MISR where only EOI maintenance can hold (every
        trap; the other conditions need HCR bits that are set only while LRs overflow)."""
        if self.hcr_bits & MISR_ENABLES:
            return self.misr != 0
        for lr in self.lr_values:  # noqa: SIM110 - a plain loop: any() over a generator costs more
            if lr & EOI_MAINTENANCE_BITS == regs.LR_EOI:
                return True
        return False

    def batching(self) -> bool:
        """True inside a batch: changes made so far are not yet told to the listeners."""
        return self._batch.depth != 0

    def guest_view_alone(self) -> bool:
        """True when no batch is open and one listener (the GICV) follows the changes: then a
        change the GICV makes can only move the GICV's own line."""
        return not self._batch.depth and len(self._listeners) == 1

    def batch(self) -> AbstractContextManager[None]:
        """``with gich.batch():`` several register writes, as PL2 software makes them in a row
        with nothing in between: the maintenance line and the GICV's line are re-evaluated
        once, after the last write, instead of after each."""
        return self._batch

    # ---------------------------------------------------------------- programmatic API

    @property
    def hcr(self) -> int:
        """GICH_HCR (includes EOICount)."""
        return self.hcr_bits

    @hcr.setter
    def hcr(self, value: int) -> None:
        self.hcr_bits = value & regs.HCR_WRITE_MASK
        self.changed()

    @property
    def vmcr(self) -> int:
        """GICH_VMCR: the guest's view of CTLR, PMR, BPR and ABPR."""
        return self.vmcr_bits

    @vmcr.setter
    def vmcr(self, value: int) -> None:
        self.vmcr_bits = value & regs.VMCR_WRITE_MASK
        self.changed()

    @property
    def apr(self) -> int:
        """GICH_APR: one bit per active virtual preemption level (bit n = priority n << 3)."""
        return self.apr_bits

    @apr.setter
    def apr(self, value: int) -> None:
        self.apr_bits = value & WORD_MASK
        self.changed()

    @property
    def eoi_count(self) -> int:
        """GICH_HCR.EOICount: deactivations that found no matching list register."""
        return (self.hcr_bits >> regs.HCR_EOICOUNT_SHIFT) & regs.HCR_EOICOUNT_MASK

    def count_unmatched_eoi(self) -> None:
        """Add one to EOICount: a deactivation found no matching list register."""
        count = (self.eoi_count + 1) & regs.HCR_EOICOUNT_MASK
        mask = regs.HCR_EOICOUNT_MASK << regs.HCR_EOICOUNT_SHIFT
        self.hcr_bits = (self.hcr_bits & ~mask) | count << regs.HCR_EOICOUNT_SHIFT

    @property
    def list_registers(self) -> tuple[int, ...]:
        """Raw values of all list registers."""
        return tuple(self.lr_values)

    @list_registers.setter
    def list_registers(self, values: Sequence[int]) -> None:
        if len(values) != self.num_list_registers:
            raise ValueError(
                f"expected {self.num_list_registers} list registers, got {len(values)}"
            )
        self.lr_values = [value & regs.LR_WRITE_MASK for value in values]
        self.changed()

    def holds_interrupts(self) -> bool:
        """Whether any list register holds an interrupt (pending and/or active)."""
        for lr in self.lr_values:  # noqa: SIM110 - a plain loop: any() over a generator costs more
            if lr & STATE_BITS:
                return True
        return False

    def list_register(self, index: int) -> int:
        """Raw value of list register ``index``."""
        return self.lr_values[index]

    def set_list_register(self, index: int, value: int) -> None:
        """Write list register ``index`` (reserved bits dropped)."""
        self.lr_values[index] = value & regs.LR_WRITE_MASK
        self.changed()

    def retire_and_place(self, retired: int, value: int) -> int | None:
        """Empty the list registers in the ``retired`` mask and every one whose EOI maintenance
        is due (EISR), then write ``value`` into the lowest empty one (per ELSRSR), all as one
        change: returns its index, or None, with nothing changed, when every LR is in use.

        What PL2 software does for a new interrupt: clear the LRs it has seen finish, write a
        free one (``set_list_register`` for each, in a batch)."""
        lrs = self.lr_values
        free: int | None = None
        for index, lr in enumerate(lrs):
            if retired >> index & 1 or lr & EOI_MAINTENANCE_BITS == regs.LR_EOI:
                lrs[index] = lr = 0
            if free is None and not lr & STATE_BITS:
                free = index  # (no EISR entry is left: an LR without state is free)
        if free is None:
            return None  # (had one been emptied, it would be free)
        lrs[free] = value & regs.LR_WRITE_MASK
        batch = self._batch
        if batch.depth:  # (``changed()``'s deferral written out: a world switch's batch)
            batch.stale = True
        else:
            self.changed()
        return free

    @property
    def eisr(self) -> int:
        """GICH_EISR as one mask: LRs that were EOIed with the EOI bit set (HW=0)."""
        mask = 0
        for index, lr in enumerate(self.lr_values):
            if lr & EOI_MAINTENANCE_BITS == regs.LR_EOI:
                mask |= 1 << index
        return mask

    @property
    def elsr(self) -> int:
        """GICH_ELSRSR as one mask: LRs that hold no interrupt and need no maintenance."""
        mask = 0
        for index, lr in enumerate(self.lr_values):
            if not lr & STATE_BITS and lr & EOI_MAINTENANCE_BITS != regs.LR_EOI:
                mask |= 1 << index
        return mask

    def free_list_register(self) -> int | None:
        """Lowest empty list register (per ELSRSR), or None when all are in use."""
        elsr = self.elsr
        return (elsr & -elsr).bit_length() - 1 if elsr else None

    @property
    def misr(self) -> int:
        """GICH_MISR: the maintenance conditions that currently hold."""
        hcr, vmcr = self.hcr_bits, self.vmcr_bits
        valid = eoi = 0
        any_pending = False
        for lr in self.lr_values:
            if lr & STATE_BITS:
                valid += 1
                any_pending = any_pending or bool(lr & PENDING_BIT)
            elif lr & EOI_MAINTENANCE_BITS == regs.LR_EOI:
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
        return GicHypState(self.hcr_bits, self.vmcr_bits, self.apr_bits, tuple(self.lr_values))

    def restore(self, state: GicHypState) -> None:
        """Load a snapshot taken by ``save``."""
        if len(state.list_registers) != self.num_list_registers:
            raise ValueError("snapshot has a different number of list registers")
        self.hcr_bits = state.hcr & regs.HCR_WRITE_MASK
        self.vmcr_bits = state.vmcr & regs.VMCR_WRITE_MASK
        self.apr_bits = state.apr & WORD_MASK
        self.lr_values = [value & regs.LR_WRITE_MASK for value in state.list_registers]
        self.changed()

    def load(self, hcr: int, vmcr: int, apr: int) -> None:
        """Load HCR, VMCR and APR with every list register empty: what a world switch does
        (as ``restore`` with empty list registers, without building a snapshot)."""
        self.hcr_bits = hcr & regs.HCR_WRITE_MASK
        self.vmcr_bits = vmcr & regs.VMCR_WRITE_MASK
        self.apr_bits = apr & WORD_MASK
        self.lr_values = [0] * self.num_list_registers
        batch = self._batch
        if batch.depth:  # (``changed()``'s deferral written out: every world switch loads)
            batch.stale = True
        else:
            self.changed()

    # ---------------------------------------------------------------- MMIO

    def read(self, offset: int, size: int) -> int:
        """MMIO read of a GICH register."""
        lr_end = regs.GICH_LR0 + self.num_list_registers * regs.REGISTER_BYTES
        if regs.GICH_LR0 <= offset < lr_end:
            return self.lr_values[(offset - regs.GICH_LR0) // regs.REGISTER_BYTES]
        high = LR_BITS_PER_STATUS_REGISTER
        values = {
            regs.GICH_HCR: self.hcr_bits,
            regs.GICH_VTR: self.vtr,
            regs.GICH_VMCR: self.vmcr_bits,
            regs.GICH_MISR: self.misr,
            regs.GICH_EISR0: self.eisr & WORD_MASK,
            regs.GICH_EISR1: self.eisr >> high,
            regs.GICH_ELSRSR0: self.elsr & WORD_MASK,
            regs.GICH_ELSRSR1: self.elsr >> high,
            regs.GICH_APR: self.apr_bits,
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
