"""ARMv7 LPAE Stage-2 translation tables, built in bytes exactly as PL2 software builds them.

With the Virtualization Extensions every Non-secure PL1&0 access is translated a second time,
IPA -> PA, by tables the hypervisor owns. Stage 2 always uses the Long-descriptor (LPAE)
format: 64-bit descriptors, 4 KiB granule, up to three lookup levels. Here the tables live in a
``bytearray`` standing for hypervisor memory, point at each other by physical address, and every
question (translate, check, mappings, dump) is answered by walking those bytes as the MMU would.

Levels: L1 entries map 1 GiB (IPA[39:30]), L2 2 MiB (IPA[29:21]), L3 4 KiB (IPA[20:12]). The
walk starts at L1 (VTCR.SL0=0b01, 31..40-bit IPA) or L2 (SL0=0b00, 25..34-bit IPA); the first
table has 2**(ipa_bits - entry_shift) entries, 2..8192, i.e. up to 16 concatenated pages.

The descriptor format (with its sources) is ``stage2_descriptors``; the memory the tables live in is
``hypervisor_memory``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

from rthv.board.memory import PAGE_SIZE
from rthv.hv.hypervisor_memory import HypervisorMemory
from rthv.hv.stage2_descriptors import (
    DESC_AF,
    DESC_BYTES,
    DESC_OA_MASK,
    DESC_TYPE_MASK,
    DESC_TYPE_TABLE,
    ENTRIES_PER_PAGE,
    FSC_ACCESS_FLAG,
    FSC_PERMISSION,
    FSC_TRANSLATION,
    LEVEL_SHIFT,
    LEVEL_SIZE,
    PA_BITS,
    PA_LIMIT,
    RGN_WBWA,
    ROOT_ENTRIES_LOG2_MAX,
    SH_INNER,
    VMID_MAX,
    VTCR_IRGN0_SHIFT,
    VTCR_ORGN0_SHIFT,
    VTCR_RES1,
    VTCR_S,
    VTCR_SH0_SHIFT,
    VTCR_SL0_SHIFT,
    VTCR_T0SZ_MASK,
    VTTBR_VMID_SHIFT,
    Access,
    FaultKind,
    MemType,
    S2Perm,
    Stage2Error,
    desc_mem_type,
    desc_perm,
    is_leaf,
    is_table,
    leaf_attrs,
    leaf_type,
)

_Entry = tuple[int, int, int, int]  # (level, ipa, descriptor, descriptor PA)
_KIND_NAMES = {1: "1G block", 2: "2M block", 3: "4K page"}


@dataclass(frozen=True)
class Translation:
    """Result of a successful table walk for one IPA."""

    ipa: int
    pa: int
    perm: S2Perm
    mem_type: MemType
    level: int
    block_size: int
    descriptor: int
    descriptor_pa: int


@dataclass(frozen=True)
class Stage2Fault:
    """A Stage-2 abort: kind, lookup level and the long-descriptor fault status code."""

    ipa: int
    access: Access
    kind: FaultKind
    level: int
    status: int


@dataclass(frozen=True)
class Mapping:
    """A contiguous IPA -> PA run with uniform permissions and memory type."""

    ipa: int
    pa: int
    size: int
    perm: S2Perm
    mem_type: MemType

    @property
    def end(self) -> int:
        """First IPA after the run."""
        return self.ipa + self.size


def _joins(a: Mapping, b: Mapping) -> bool:
    """True if `b` continues `a` in both IPA and PA with the same attributes."""
    same = (a.perm, a.mem_type) == (b.perm, b.mem_type)
    return same and a.end == b.ipa and a.pa + a.size == b.pa


class Stage2Table:
    """One VM's Stage-2 tables: map/unmap IPA ranges, walk them, report VTCR/VTTBR.

    ``start_level`` defaults to 1 (SL0=0b01) for IPA spaces over 30 bits, else 2 (SL0=0b00).
    The walk attributes ``sh0``/``orgn0``/``irgn0`` only feed the VTCR value.
    """

    sh0 = SH_INNER
    orgn0 = RGN_WBWA
    irgn0 = RGN_WBWA

    def __init__(
        self,
        memory: HypervisorMemory,
        vmid: int,
        ipa_bits: int = 32,
        start_level: int | None = None,
    ) -> None:
        if not 0 <= vmid <= VMID_MAX:
            raise Stage2Error(f"VMID {vmid} does not fit VTTBR.VMID[55:48]")
        if not 25 <= ipa_bits <= PA_BITS:
            raise Stage2Error(f"IPA size {ipa_bits} bits outside the VTCR.T0SZ range (25..40)")
        level = start_level if start_level is not None else (1 if ipa_bits > 30 else 2)
        entries_log2 = ipa_bits - LEVEL_SHIFT.get(level, 0)
        if level not in (1, 2) or not 1 <= entries_log2 <= ROOT_ENTRIES_LOG2_MAX:
            raise Stage2Error(f"a {ipa_bits}-bit IPA walk cannot start at level {level}")
        self.memory = memory
        self.vmid = vmid
        self.ipa_bits = ipa_bits
        self.start_level = level
        self.root_entries = 1 << entries_log2
        self.root_pa = memory.alloc_table(max(1, self.root_entries // ENTRIES_PER_PAGE))

    @property
    def vtcr(self) -> int:
        """The VTCR value describing these tables."""
        t0sz = (32 - self.ipa_bits) & VTCR_T0SZ_MASK
        walk = self.sh0 << VTCR_SH0_SHIFT | self.orgn0 << VTCR_ORGN0_SHIFT
        walk |= self.irgn0 << VTCR_IRGN0_SHIFT
        sl0 = (2 - self.start_level) << VTCR_SL0_SHIFT
        return VTCR_RES1 | walk | sl0 | (VTCR_S if t0sz & 0b1000 else 0) | t0sz

    @property
    def baddr_align_bits(self) -> int:
        """The x of VTTBR.BADDR[39:x]: log2 of the first-level table's size in bytes."""
        return (self.root_entries * DESC_BYTES).bit_length() - 1

    @property
    def vttbr(self) -> int:
        """The 64-bit VTTBR value: VMID[55:48] and the first-level table's PA."""
        return self.vmid << VTTBR_VMID_SHIFT | self.root_pa

    # -- walking ---------------------------------------------------------------------------

    def _slot(self, table_pa: int, level: int, ipa: int) -> int:
        index = ipa >> LEVEL_SHIFT[level]
        if level != self.start_level:
            index &= ENTRIES_PER_PAGE - 1
        return table_pa + index * DESC_BYTES

    def _walk(self, ipa: int) -> tuple[int, int, int]:
        """Walk from VTTBR.BADDR; return (level, descriptor, descriptor PA) where it stopped."""
        table = self.vttbr & DESC_OA_MASK & ~((1 << self.baddr_align_bits) - 1)
        level = self.start_level
        while True:
            slot = self._slot(table, level, ipa)
            desc = self.memory.read_u64(slot)
            if not is_table(desc, level):
                return level, desc, slot
            table, level = desc & DESC_OA_MASK, level + 1

    def translate(self, ipa: int) -> Translation | None:
        """Walk the tables for `ipa`; None if the walk ends in an invalid descriptor."""
        if not 0 <= ipa < 1 << self.ipa_bits:
            return None
        level, desc, slot = self._walk(ipa)
        if not is_leaf(desc, level):
            return None
        size = LEVEL_SIZE[level]
        pa = (desc & DESC_OA_MASK & ~(size - 1)) | (ipa & (size - 1))
        return Translation(ipa, pa, desc_perm(desc), desc_mem_type(desc), level, size, desc, slot)

    def check(self, ipa: int, access: Access) -> Stage2Fault | None:
        """The Stage-2 fault an `access` to `ipa` would raise, or None if it is allowed."""
        if not 0 <= ipa < 1 << self.ipa_bits:
            # An IPA beyond the T0SZ range is a translation fault, reported at level 1.
            return Stage2Fault(ipa, access, "translation", 1, FSC_TRANSLATION | 1)
        level, desc, _ = self._walk(ipa)
        if not is_leaf(desc, level):
            return Stage2Fault(ipa, access, "translation", level, FSC_TRANSLATION | level)
        if not desc & DESC_AF:
            return Stage2Fault(ipa, access, "access_flag", level, FSC_ACCESS_FLAG | level)
        need = {"read": S2Perm.READ, "write": S2Perm.WRITE, "exec": S2Perm.EXEC}[access]
        if need not in desc_perm(desc):
            return Stage2Fault(ipa, access, "permission", level, FSC_PERMISSION | level)
        return None

    def _entries(self) -> Iterator[_Entry]:
        """Depth-first (level, ipa, descriptor, descriptor PA) of every valid table entry."""
        return self._subtree(self.root_pa, self.start_level, 0, self.root_entries)

    def _subtree(self, table: int, level: int, base: int, count: int) -> Iterator[_Entry]:
        for index in range(count):
            slot = table + index * DESC_BYTES
            desc = self.memory.read_u64(slot)
            ipa = base + (index << LEVEL_SHIFT[level])
            if is_table(desc, level):
                yield level, ipa, desc, slot
                yield from self._subtree(desc & DESC_OA_MASK, level + 1, ipa, ENTRIES_PER_PAGE)
            elif is_leaf(desc, level):
                yield level, ipa, desc, slot

    def mappings(self) -> list[Mapping]:
        """Walk all tables and return maximal runs, merging adjacent identical leaves."""
        runs: list[Mapping] = []
        for level, ipa, desc, _ in self._entries():
            if is_leaf(desc, level):
                size = LEVEL_SIZE[level]
                pa = desc & DESC_OA_MASK & ~(size - 1)
                new = Mapping(ipa, pa, size, desc_perm(desc), desc_mem_type(desc))
                if runs and _joins(runs[-1], new):
                    runs[-1] = dataclasses.replace(runs[-1], size=runs[-1].size + size)
                else:
                    runs.append(new)
        return runs

    def table_pages(self) -> list[int]:
        """PAs of every table page reachable from VTTBR (first-level pages first)."""
        root_bytes = max(PAGE_SIZE, self.root_entries * DESC_BYTES)
        pages = list(range(self.root_pa, self.root_pa + root_bytes, PAGE_SIZE))
        return pages + [d & DESC_OA_MASK for lv, _, d, _ in self._entries() if is_table(d, lv)]

    # -- editing ---------------------------------------------------------------------------

    def _check_range(self, what: str, ipa: int, size: int) -> None:
        if size <= 0 or ipa % PAGE_SIZE or size % PAGE_SIZE:
            raise Stage2Error(f"{what}: IPA {ipa:#x} size {size:#x} is not 4 KiB aligned")
        if ipa < 0 or ipa + size > 1 << self.ipa_bits:
            end = ipa + size
            raise Stage2Error(f"{what}: IPA [{ipa:#x}, {end:#x}) is outside {self.ipa_bits} bits")

    def map(self, ipa: int, pa: int, size: int, perm: S2Perm, mem_type: MemType) -> None:
        """Map [ipa, ipa+size) to pa, using 1 GiB / 2 MiB blocks where alignment allows."""
        self._check_range("map", ipa, size)
        if pa % PAGE_SIZE or pa < 0 or pa + size > PA_LIMIT:
            raise Stage2Error(f"map: PA [{pa:#x}, {pa + size:#x}) misaligned or beyond 40 bits")
        hv_lo, hv_hi = self.memory.base_pa, self.memory.base_pa + self.memory.size
        if pa < hv_hi and hv_lo < pa + size:
            raise Stage2Error(f"map: PA [{pa:#x}, {pa + size:#x}) exposes hypervisor memory")
        probe = ipa
        while probe < ipa + size:  # every invalid entry met on the way is an empty span
            level, desc, _ = self._walk(probe)
            if is_leaf(desc, level):
                old = next(m for m in self.mappings() if m.ipa <= probe < m.end)
                raise Stage2Error(
                    f"map: IPA [{ipa:#x}, {ipa + size:#x}) overlaps existing mapping "
                    f"[{old.ipa:#x}, {old.end:#x}) -> PA {old.pa:#x}"
                )
            probe = (probe | (LEVEL_SIZE[level] - 1)) + 1
        attrs = leaf_attrs(perm, mem_type)
        try:
            self._map(self.root_pa, self.start_level, ipa, ipa + size, pa, attrs)
        except Stage2Error:
            self._unmap(self.root_pa, self.start_level, ipa, ipa + size)  # roll back
            raise

    def _map(self, table: int, level: int, start: int, end: int, pa: int, attrs: int) -> None:
        size = LEVEL_SIZE[level]
        ipa = start
        while ipa < end:
            stop = min(end, (ipa | (size - 1)) + 1)
            out = pa + (ipa - start)
            slot = self._slot(table, level, ipa)
            if level == 3 or (ipa % size == 0 and stop - ipa == size and out % size == 0):
                self.memory.write_u64(slot, attrs | leaf_type(level) | out)
            else:
                desc = self.memory.read_u64(slot)
                if not is_table(desc, level):
                    desc = self.memory.alloc_table() | DESC_TYPE_TABLE
                    self.memory.write_u64(slot, desc)
                self._map(desc & DESC_OA_MASK, level + 1, ipa, stop, out, attrs)
            ipa = stop

    def unmap(self, ipa: int, size: int) -> None:
        """Remove [ipa, ipa+size): splits blocks at the edges, frees emptied tables, skips holes."""
        self._check_range("unmap", ipa, size)
        self._unmap(self.root_pa, self.start_level, ipa, ipa + size)

    def _unmap(self, table: int, level: int, start: int, end: int) -> None:
        size = LEVEL_SIZE[level]
        ipa = start
        while ipa < end:
            stop = min(end, (ipa | (size - 1)) + 1)
            slot = self._slot(table, level, ipa)
            desc = self.memory.read_u64(slot)
            if is_leaf(desc, level) and stop - ipa < size:
                desc = self._split(slot, desc, level)
            if is_table(desc, level):
                sub = desc & DESC_OA_MASK
                self._unmap(sub, level + 1, ipa, stop)
                if self.memory.is_zero_page(sub):
                    self.memory.write_u64(slot, 0)
                    self.memory.free_table(sub)
            elif desc:
                self.memory.write_u64(slot, 0)
            ipa = stop

    def _split(self, slot: int, desc: int, level: int) -> int:
        """Replace a block by a next-level table of equivalent leaves; return the table desc."""
        sub = self.memory.alloc_table()
        base, step = desc & DESC_OA_MASK & ~(LEVEL_SIZE[level] - 1), LEVEL_SIZE[level + 1]
        attrs = desc & ~DESC_OA_MASK & ~DESC_TYPE_MASK | leaf_type(level + 1)
        for index in range(ENTRIES_PER_PAGE):
            self.memory.write_u64(sub + index * DESC_BYTES, attrs | (base + index * step))
        self.memory.write_u64(slot, sub | DESC_TYPE_TABLE)
        return sub | DESC_TYPE_TABLE

    def dump(self) -> str:
        """A human-readable listing of the registers and every valid descriptor."""
        lines = [
            f"Stage-2 VMID {self.vmid}: {self.ipa_bits}-bit IPA, start level {self.start_level}, "
            f"VTCR={self.vtcr:#010x} VTTBR={self.vttbr:#018x}",
            f"L{self.start_level} table @ {self.root_pa:#x} ({self.root_entries} entries)",
        ]
        for level, ipa, desc, slot in self._entries():
            pad = "  " * (level - self.start_level + 1)
            index = (slot - self.root_pa if level == self.start_level else slot % PAGE_SIZE) // 8
            head = f"{pad}L{level}[{index:3d}] IPA {ipa:#011x}"
            if is_table(desc, level):
                lines.append(f"{head} TABLE -> L{level + 1} table @ {desc & DESC_OA_MASK:#x}")
                continue
            out = desc & DESC_OA_MASK & ~(LEVEL_SIZE[level] - 1)
            lines.append(
                f"{head} {_KIND_NAMES[level]} -> PA {out:#011x} {desc_perm(desc).name} "
                f"{desc_mem_type(desc).value}{'' if desc & DESC_AF else ' AF=0'} ({desc:#018x})"
            )
        return "\n".join(lines)
