"""GICv2 register map: offsets, field layouts and identification values of every block.

The distributor's per-interrupt register groups are described once, in ``GICD_FIELD_GROUPS``;
the board's ``GicDistributor`` and the hypervisor's per-VM register file each bind their
accessors to it by group name (``bind_fields``), and share the decoding of the rest of the page
(``read_gicd_fixed``, ``sgir_targets``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol, TypeVar

from rthv.board.memory import PAGE_SIZE

# ------------------------------------------------------------------ interrupt ID space
SGI_COUNT: Final = 16
BANKED_COUNT: Final = 32  # SGIs + PPIs, banked per CPU
MAX_IRQS: Final = 1020  # IDs 1020..1023 are special
MAX_CPUS: Final = 8
SPURIOUS_ID: Final = 1023
FIRST_PPI: Final = SGI_COUNT
FIRST_SPI: Final = BANKED_COUNT
IRQS_PER_LINE_GROUP: Final = 32
BYTE_BITS: Final = 8
BYTE_MASK: Final = 0xFF
REGISTER_BYTES: Final = 4
IDLE_PRIORITY: Final = 0xFF  # running priority when nothing is active

# ------------------------------------------------------------------ register windows
GICD_WINDOW_SIZE: Final = PAGE_SIZE
GICH_WINDOW_SIZE: Final = PAGE_SIZE
GICC_WINDOW_SIZE: Final = 2 * PAGE_SIZE  # the CPU interfaces (GICC, GICV): GICC_DIR at 0x1000

# ------------------------------------------------------------------ distributor (GICD)
GICD_CTLR: Final = 0x000
GICD_TYPER: Final = 0x004
GICD_IIDR: Final = 0x008
GICD_IGROUPR: Final = 0x080
GICD_ISENABLER: Final = 0x100
GICD_ICENABLER: Final = 0x180
GICD_ISPENDR: Final = 0x200
GICD_ICPENDR: Final = 0x280
GICD_ISACTIVER: Final = 0x300
GICD_ICACTIVER: Final = 0x380
GICD_IPRIORITYR: Final = 0x400
GICD_ITARGETSR: Final = 0x800
GICD_ICFGR: Final = 0xC00
GICD_SGIR: Final = 0xF00
GICD_CPENDSGIR: Final = 0xF10
GICD_SPENDSGIR: Final = 0xF20
GICD_BIT_BLOCK: Final = 0x80  # size of a one-bit-per-interrupt register group
GICD_BYTE_BLOCK: Final = 0x400  # size of a one-byte-per-interrupt register group
GICD_CFG_BLOCK: Final = 0x100  # size of the two-bits-per-interrupt ICFGR group
GICD_SGI_BLOCK: Final = 0x10  # size of CPENDSGIR/SPENDSGIR (one byte per SGI)

GICD_CTLR_ENABLE: Final = 1 << 0
TYPER_CPU_NUMBER_SHIFT: Final = 5
SGIR_ID_MASK: Final = 0xF
SGIR_TARGET_LIST_SHIFT: Final = 16
SGIR_FILTER_SHIFT: Final = 24
SGIR_FILTER_MASK: Final = 0x3
SGIR_FILTER_LIST: Final = 0
SGIR_FILTER_OTHERS: Final = 1
SGIR_FILTER_SELF: Final = 2
ICFGR_EDGE: Final = 0b10
ICFGR_BITS: Final = 2

GICD_IIDR_VALUE: Final = 0x0200043B  # implementer ARM (0x43B), product 0x02
GICD_ID_REGISTERS: Final = {  # CoreSight peripheral/component IDs of an ARM GICv2
    0xFD0: 0x04,  # PIDR4
    0xFE0: 0x90,  # PIDR0: part number [7:0]
    0xFE4: 0xB4,  # PIDR1: JEP106 [3:0], part number [11:8]
    0xFE8: 0x2B,  # PIDR2: ArchRev = 2, JEDEC, JEP106 [6:4]
    0xFEC: 0x00,  # PIDR3
    0xFF0: 0x0D,  # CIDR0
    0xFF4: 0xF0,  # CIDR1
    0xFF8: 0x05,  # CIDR2
    0xFFC: 0xB1,  # CIDR3
}

# ------------------------------------------------------------------ CPU interface (GICC/GICV)
GICC_CTLR: Final = 0x00
GICC_PMR: Final = 0x04
GICC_BPR: Final = 0x08
GICC_IAR: Final = 0x0C
GICC_EOIR: Final = 0x10
GICC_RPR: Final = 0x14
GICC_HPPIR: Final = 0x18
GICC_ABPR: Final = 0x1C
GICC_AIAR: Final = 0x20
GICC_AEOIR: Final = 0x24
GICC_AHPPIR: Final = 0x28
GICC_APR0: Final = 0xD0
GICC_APR_COUNT: Final = 4
GICC_IIDR: Final = 0xFC
GICC_DIR: Final = 0x1000

GICC_CTLR_ENABLE_GRP0: Final = 1 << 0
GICC_CTLR_ENABLE_GRP1: Final = 1 << 1
GICC_CTLR_EOIMODE: Final = 1 << 9  # EOImodeNS in the Non-secure view
GICC_CTLR_MASK: Final = 0x3FF
IAR_ID_MASK: Final = 0x3FF
IAR_CPUID_SHIFT: Final = 10
IAR_CPUID_MASK: Final = 0x7
BPR_MASK: Final = 0x7
MAX_PREEMPTION_BITS: Final = 7
GICC_IIDR_VALUE: Final = 0x0202043B  # ARM, GICv2 architecture, revision 2

# ------------------------------------------------------------------ hypervisor interface (GICH)
GICH_HCR: Final = 0x00
GICH_VTR: Final = 0x04
GICH_VMCR: Final = 0x08
GICH_MISR: Final = 0x10
GICH_EISR0: Final = 0x20
GICH_EISR1: Final = 0x24
GICH_ELSRSR0: Final = 0x30
GICH_ELSRSR1: Final = 0x34
GICH_APR: Final = 0xF0
GICH_LR0: Final = 0x100
MAX_LIST_REGISTERS: Final = 64

HCR_EN: Final = 1 << 0
HCR_UIE: Final = 1 << 1
HCR_LRENPIE: Final = 1 << 2
HCR_NPIE: Final = 1 << 3
HCR_VGRP0EIE: Final = 1 << 4
HCR_VGRP0DIE: Final = 1 << 5
HCR_VGRP1EIE: Final = 1 << 6
HCR_VGRP1DIE: Final = 1 << 7
HCR_EOICOUNT_SHIFT: Final = 27
HCR_EOICOUNT_MASK: Final = 0x1F
HCR_WRITE_MASK: Final = 0xF80000FF

MISR_EOI: Final = 1 << 0
MISR_U: Final = 1 << 1
MISR_LRENP: Final = 1 << 2
MISR_NP: Final = 1 << 3
MISR_VGRP0E: Final = 1 << 4
MISR_VGRP0D: Final = 1 << 5
MISR_VGRP1E: Final = 1 << 6
MISR_VGRP1D: Final = 1 << 7

VTR_PREBITS_SHIFT: Final = 26
VTR_PRIBITS_SHIFT: Final = 29
VIRTUAL_PRIORITY_BITS: Final = 5
VIRTUAL_PRIORITY_SHIFT: Final = BYTE_BITS - VIRTUAL_PRIORITY_BITS  # LR/VPMR field -> priority byte

VMCR_ENG0: Final = 1 << 0
VMCR_ENG1: Final = 1 << 1
VMCR_CBPR: Final = 1 << 4
VMCR_EOIM: Final = 1 << 9
VMCR_CTLR_MASK: Final = 0x21F  # VMCR bits that alias GICV_CTLR bits at the same positions
VMCR_ABPR_SHIFT: Final = 18
VMCR_BPR_SHIFT: Final = 21
VMCR_PMR_SHIFT: Final = 27
VMCR_PMR_MASK: Final = 0x1F
VMCR_WRITE_MASK: Final = 0xF8FC021F
VMCR_RESET: Final = 0x004C0000  # VBPR = 2, VABPR = 3: the minimum binary points for 5 bits
VIRTUAL_MIN_BPR: Final = 2
VIRTUAL_MIN_ABPR: Final = 3

LR_VIRTUAL_ID_MASK: Final = 0x3FF
LR_PHYSICAL_ID_SHIFT: Final = 10
LR_PHYSICAL_ID_MASK: Final = 0x3FF
LR_CPUID_SHIFT: Final = 10
LR_CPUID_MASK: Final = 0x7
LR_EOI: Final = 1 << 19
LR_PRIORITY_SHIFT: Final = 23
LR_PRIORITY_MASK: Final = 0x1F
LR_STATE_SHIFT: Final = 28
LR_STATE_MASK: Final = 0x3
LR_GRP1: Final = 1 << 30
LR_HW: Final = 1 << 31
LR_WRITE_MASK: Final = 0xFF8FFFFF  # bits [22:20] are reserved


class _Span(Protocol):
    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...


Group = TypeVar("Group", bound=_Span)


def find_group(groups: Sequence[Group], offset: int) -> Group | None:
    """The register group whose [start, end) holds ``offset``, if any."""
    for group in groups:
        if group.start <= offset < group.end:
            return group
    return None


# ------------------------------------------------------------------ GICD layout, described once
@dataclass(frozen=True, slots=True)
class FieldGroup:
    """A GICD register group holding one ``bits``-wide field per interrupt over [start, end)."""

    name: str
    start: int
    end: int
    bits: int

    def irqs(self, offset: int, size: int) -> range:
        """The interrupts whose fields an access of ``size`` bytes at ``offset`` covers."""
        first = (offset - self.start) * BYTE_BITS // self.bits
        count = max(1, size * BYTE_BITS // self.bits)
        return range(first, first + count)

    def split(self, offset: int, size: int, value: int) -> Iterator[tuple[int, int]]:
        """(interrupt, field value) for each field a written ``value`` covers."""
        mask = (1 << self.bits) - 1
        for index, irq in enumerate(self.irqs(offset, size)):
            yield irq, (value >> (index * self.bits)) & mask

    def join(self, offset: int, size: int, field: Callable[[int], int]) -> int:
        """The value a read returns, from ``field(irq)`` of each covered interrupt."""
        value = 0
        for index, irq in enumerate(self.irqs(offset, size)):
            value |= field(irq) << (index * self.bits)
        return value


def _group(name: str, start: int, size: int, bits: int) -> FieldGroup:
    return FieldGroup(name, start, start + size, bits)


GICD_FIELD_GROUPS: Final[tuple[FieldGroup, ...]] = (
    _group("group", GICD_IGROUPR, GICD_BIT_BLOCK, 1),
    _group("set_enable", GICD_ISENABLER, GICD_BIT_BLOCK, 1),
    _group("clear_enable", GICD_ICENABLER, GICD_BIT_BLOCK, 1),
    _group("set_pending", GICD_ISPENDR, GICD_BIT_BLOCK, 1),
    _group("clear_pending", GICD_ICPENDR, GICD_BIT_BLOCK, 1),
    _group("set_active", GICD_ISACTIVER, GICD_BIT_BLOCK, 1),
    _group("clear_active", GICD_ICACTIVER, GICD_BIT_BLOCK, 1),
    _group("priority", GICD_IPRIORITYR, GICD_BYTE_BLOCK, BYTE_BITS),
    _group("targets", GICD_ITARGETSR, GICD_BYTE_BLOCK, BYTE_BITS),
    _group("config", GICD_ICFGR, GICD_CFG_BLOCK, ICFGR_BITS),
    _group("clear_sgi_pending", GICD_CPENDSGIR, GICD_SGI_BLOCK, BYTE_BITS),
    _group("set_sgi_pending", GICD_SPENDSGIR, GICD_SGI_BLOCK, BYTE_BITS),
)

FieldGetter = Callable[[int], int]  # irq -> field value
FieldPutter = Callable[[int, int], None]  # (irq, field value)


@dataclass(frozen=True, slots=True)
class BoundGroup:
    """A field group with one side's accessors; ``put`` None: read-only (writes ignored)."""

    group: FieldGroup
    get: FieldGetter
    put: FieldPutter | None

    @property
    def start(self) -> int:
        """First offset of the group."""
        return self.group.start

    @property
    def end(self) -> int:
        """First offset past the group."""
        return self.group.end


def bind_fields(
    accessors: Mapping[str, tuple[FieldGetter, FieldPutter | None]],
) -> tuple[BoundGroup, ...]:
    """Bind ``{group name: (get, put)}`` to ``GICD_FIELD_GROUPS``; every group exactly once."""
    names = {group.name for group in GICD_FIELD_GROUPS}
    if set(accessors) != names:
        raise ValueError(f"GICD accessors must bind exactly {sorted(names)}")
    return tuple(BoundGroup(g, *accessors[g.name]) for g in GICD_FIELD_GROUPS)


def read_gicd_fixed(offset: int, *, enabled: bool, num_irqs: int, num_cpus: int) -> int:
    """A GICD read outside the field groups: CTLR, TYPER, IIDR, the ID registers, else 0."""
    if offset == GICD_CTLR:
        return GICD_CTLR_ENABLE if enabled else 0
    if offset == GICD_TYPER:
        lines = -(-num_irqs // IRQS_PER_LINE_GROUP) - 1
        return lines | (num_cpus - 1) << TYPER_CPU_NUMBER_SHIFT
    if offset == GICD_IIDR:
        return GICD_IIDR_VALUE
    return GICD_ID_REGISTERS.get(offset, 0)


def sgir_targets(value: int, cpu: int, cpu_mask: int) -> int:
    """The CPUs a GICD_SGIR write by ``cpu`` sends to (0 for the reserved filter)."""
    mode = (value >> SGIR_FILTER_SHIFT) & SGIR_FILTER_MASK
    if mode == SGIR_FILTER_LIST:
        targets = (value >> SGIR_TARGET_LIST_SHIFT) & BYTE_MASK
    elif mode == SGIR_FILTER_OTHERS:
        targets = cpu_mask & ~(1 << cpu)
    elif mode == SGIR_FILTER_SELF:
        targets = 1 << cpu
    else:
        targets = 0
    return targets & cpu_mask
