"""The GICv2 physical CPU interface (GICC): acknowledge, priority masking, EOI."""

from __future__ import annotations

from dataclasses import dataclass

from rthv.board.gic import regs
from rthv.board.gic.distributor import GicDistributor, PendingInterrupt
from rthv.board.gic.regs import BYTE_MASK, IDLE_PRIORITY, SGI_COUNT, SPURIOUS_ID
from rthv.board.signal import Signal


@dataclass(frozen=True, slots=True)
class ActiveInterrupt:
    """One entry of the active-priority stack: what was acknowledged and its group priority."""

    irq: int
    source: int
    group_priority: int


def encode_iar(irq: int, source: int) -> int:
    """IAR/HPPIR value for ``irq``: the source CPU goes into CPUID for SGIs only."""
    if irq < SGI_COUNT:
        return irq | (source & regs.IAR_CPUID_MASK) << regs.IAR_CPUID_SHIFT
    return irq


def decode_iar(value: int) -> tuple[int, int]:
    """``(irq, source)`` from an EOIR/DIR/IAR value."""
    return value & regs.IAR_ID_MASK, (value >> regs.IAR_CPUID_SHIFT) & regs.IAR_CPUID_MASK


class GicCpuInterface:
    """GICv2 CPU interface of one processor (Group 0 only, no Security Extensions).

    ``irq_out`` is high while an interrupt would be signalled: enabled at the distributor and
    here, higher priority than PMR and than the running priority. GICC_CTLR bit 9 (EOImodeNS in
    the Non-secure view) splits EOIR into priority drop only, deactivation then needs GICC_DIR.
    """

    def __init__(self, distributor: GicDistributor, cpu: int = 0) -> None:
        if not 0 <= cpu < distributor.num_cpus:
            raise ValueError(f"cpu {cpu} out of range 0..{distributor.num_cpus - 1}")
        self.distributor = distributor
        self.cpu = cpu
        self.irq_out = Signal(f"gicc{cpu}.irq")
        self._priority_mask = distributor.priority_mask
        self._preemption_bits = min(distributor.priority_bits, regs.MAX_PREEMPTION_BITS)
        self._min_bpr = regs.MAX_PREEMPTION_BITS - self._preemption_bits
        self._ctlr = 0
        self._pmr = 0
        self._bpr = self._min_bpr
        self._abpr = self._min_bpr + 1
        self._active: list[ActiveInterrupt] = []
        distributor.add_listener(self._update)

    # ---------------------------------------------------------------- state

    @property
    def enabled(self) -> bool:
        """GICC_CTLR.EnableGrp0: whether this interface signals interrupts at all."""
        return bool(self._ctlr & regs.GICC_CTLR_ENABLE_GRP0)

    @property
    def eoi_mode_split(self) -> bool:
        """GICC_CTLR.EOImode: EOIR only drops priority, GICC_DIR deactivates."""
        return bool(self._ctlr & regs.GICC_CTLR_EOIMODE)

    @property
    def ctlr(self) -> int:
        """Raw GICC_CTLR."""
        return self._ctlr

    @ctlr.setter
    def ctlr(self, value: int) -> None:
        self._ctlr = value & regs.GICC_CTLR_MASK
        self._update()

    @property
    def pmr(self) -> int:
        """Priority mask: only priorities numerically below it are signalled."""
        return self._pmr

    @pmr.setter
    def pmr(self, value: int) -> None:
        self._pmr = value & self._priority_mask
        self._update()

    @property
    def bpr(self) -> int:
        """Binary point: splits priority into group (preemption) and subpriority."""
        return self._bpr

    @bpr.setter
    def bpr(self, value: int) -> None:
        self._bpr = max(value & regs.BPR_MASK, self._min_bpr)
        self._update()

    @property
    def active_stack(self) -> tuple[ActiveInterrupt, ...]:
        """Acknowledged interrupts whose priority has not been dropped, oldest first."""
        return tuple(self._active)

    @property
    def running_priority(self) -> int:
        """Group priority of the highest-priority active interrupt (0xFF when idle)."""
        return min((entry.group_priority for entry in self._active), default=IDLE_PRIORITY)

    def group_priority(self, priority: int) -> int:
        """The preemption part of ``priority`` under the current binary point."""
        return priority & (BYTE_MASK << (self._bpr + 1)) & BYTE_MASK

    def _signalled(self) -> PendingInterrupt | None:
        if not self._ctlr & regs.GICC_CTLR_ENABLE_GRP0:
            return None
        best = self.distributor.highest_pending_interrupt(self.cpu)
        if best is None or best.priority >= self._pmr:
            return None
        if self._active and self.group_priority(best.priority) >= self.running_priority:
            return None  # (nothing active: the running priority is idle, never reached)
        return best

    def _update(self) -> None:
        level = self._signalled() is not None
        if level != self.irq_out.level:
            self.irq_out.set(level)

    # ---------------------------------------------------------------- operations

    def acknowledge(self) -> int:
        """Read GICC_IAR: activate the signalled interrupt and return its ID (1023: none)."""
        best = self._signalled()
        if best is None:
            return SPURIOUS_ID
        self._active.append(
            ActiveInterrupt(best.irq, best.source, self.group_priority(best.priority))
        )
        self.distributor.acknowledge(best.irq, self.cpu, best.source)  # notifies -> _update
        return encode_iar(best.irq, best.source)

    def acknowledge_and_drop(self) -> int:
        """Read GICC_IAR, then write the value read to GICC_EOIR, as PL2 software does in a row
        with EOImode split: the interrupt becomes active and its priority is dropped at once.

        The end state is that of ``acknowledge`` then ``end_of_interrupt``: the active-stack
        entry one pushes and the other pops cancel out, so with EOImode split the stack is left
        alone and the output is evaluated once, after the distributor's acknowledge (a listener
        of ``irq_out`` hears the final level, not a fall and rise in between). Without the
        split (the EOI deactivates) it is the two operations.
        """
        if not self._ctlr & regs.GICC_CTLR_EOIMODE:
            value = self.acknowledge()
            self.end_of_interrupt(value)
            return value
        best = self._signalled()
        if best is None:
            return SPURIOUS_ID
        self.distributor.acknowledge(best.irq, self.cpu, best.source)  # notifies -> _update
        return encode_iar(best.irq, best.source)

    def end_of_interrupt(self, value: int) -> None:
        """Write GICC_EOIR: drop the running priority and (EOImode 0) deactivate."""
        irq, source = decode_iar(value)
        if irq >= regs.MAX_IRQS:
            return
        for index in range(len(self._active) - 1, -1, -1):
            entry = self._active[index]
            if entry.irq == irq and (irq >= SGI_COUNT or entry.source == source):
                del self._active[index]
                break
        if not self.eoi_mode_split:
            self.distributor.deactivate(irq, self.cpu)
        self._update()

    def deactivate(self, value: int) -> None:
        """Write GICC_DIR: deactivate an interrupt (after a split EOI, or for a vCPU HW=1 LR)."""
        self.distributor.deactivate(value & regs.IAR_ID_MASK, self.cpu)  # (``decode_iar``'s ID)

    def highest_pending_id(self) -> int:
        """GICC_HPPIR: highest-priority pending interrupt (PMR ignored), 1023 if none/disabled."""
        best = self.distributor.highest_pending_interrupt(self.cpu) if self.enabled else None
        return SPURIOUS_ID if best is None else encode_iar(best.irq, best.source)

    def active_priorities(self, index: int) -> int:
        """GICC_APR<index>: one bit per active preemption level (read-only view of the stack)."""
        shift = regs.BYTE_BITS - self._preemption_bits
        value = 0
        for entry in self._active:
            level = entry.group_priority >> shift
            if level // regs.IRQS_PER_LINE_GROUP == index:
                value |= 1 << (level % regs.IRQS_PER_LINE_GROUP)
        return value

    # ---------------------------------------------------------------- MMIO

    def read(self, offset: int, size: int) -> int:
        """MMIO read of a GICC register."""
        simple = {
            regs.GICC_CTLR: self._ctlr,
            regs.GICC_PMR: self._pmr,
            regs.GICC_BPR: self._bpr,
            regs.GICC_ABPR: self._abpr,
            regs.GICC_RPR: self.running_priority,
            regs.GICC_IIDR: regs.GICC_IIDR_VALUE,
            regs.GICC_AIAR: SPURIOUS_ID,
            regs.GICC_AHPPIR: SPURIOUS_ID,
        }
        if offset in simple:
            return simple[offset]
        if offset == regs.GICC_IAR:
            return self.acknowledge()
        if offset == regs.GICC_HPPIR:
            return self.highest_pending_id()
        apr_end = regs.GICC_APR0 + regs.GICC_APR_COUNT * regs.REGISTER_BYTES
        if regs.GICC_APR0 <= offset < apr_end:
            return self.active_priorities((offset - regs.GICC_APR0) // regs.REGISTER_BYTES)
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        """MMIO write of a GICC register."""
        if offset == regs.GICC_CTLR:
            self.ctlr = value
        elif offset == regs.GICC_PMR:
            self.pmr = value
        elif offset == regs.GICC_BPR:
            self.bpr = value
        elif offset == regs.GICC_ABPR:
            self._abpr = max(value & regs.BPR_MASK, self._min_bpr + 1)
        elif offset == regs.GICC_EOIR:
            self.end_of_interrupt(value)
        elif offset == regs.GICC_DIR:
            self.deactivate(value)
