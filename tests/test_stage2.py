"""Stage-2 tables: built in bytes, walked like the MMU, faulting with real status codes."""

from __future__ import annotations

import re

import pytest

from rthv.hv.hypervisor_memory import HypervisorMemory
from rthv.hv.stage2 import Mapping, Stage2Table
from rthv.hv.stage2_descriptors import Access, MemType, S2Perm, Stage2Error

KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30
HV_BASE = 0xF000_0000
OA_MASK = 0xFF_FFFF_F000  # descriptor bits[39:12]
ACCESSES: tuple[Access, ...] = ("read", "write", "exec")


def make(pages: int = 64, vmid: int = 1, ipa_bits: int = 32) -> Stage2Table:
    return Stage2Table(HypervisorMemory(HV_BASE, pages * 4 * KIB), vmid=vmid, ipa_bits=ipa_bits)


def raw_walk(table: Stage2Table, ipa: int) -> tuple[int, int, int]:
    """An independent LPAE walk (start level 1, 32-bit IPA): (level, descriptor, its PA)."""
    mem = table.memory
    base = table.vttbr & OA_MASK & ~0x1F  # VTTBR.BADDR[39:5]
    for level, shift, mask in ((1, 30, 0x3), (2, 21, 0x1FF), (3, 12, 0x1FF)):
        slot = base + ((ipa >> shift) & mask) * 8
        desc = int.from_bytes(mem.data[slot - mem.base_pa : slot - mem.base_pa + 8], "little")
        if level == 3 or desc & 0b11 != 0b11:
            return level, desc, slot
        base = desc & OA_MASK
    raise AssertionError("unreachable")


def test_page_map_and_walk() -> None:
    """One 4 KiB page maps IPA to PA at level 3 and keeps the page offset."""
    t = make()
    t.map(0x4000_0000, 0x8000_0000, 4 * KIB, S2Perm.RWX, MemType.NORMAL)
    tr = t.translate(0x4000_0ABC)
    assert tr is not None
    assert (tr.pa, tr.level, tr.block_size) == (0x8000_0ABC, 3, 4 * KIB)
    assert (tr.perm, tr.mem_type) == (S2Perm.RWX, MemType.NORMAL)
    assert tr.descriptor == 0x0000_0000_8000_07FF  # page, MemAttr 1111, S2AP 11, SH 11, AF
    assert t.translate(0x4000_1000) is None


def test_2mib_block_used_when_aligned() -> None:
    """A 2 MiB-aligned 2 MiB range becomes one level-2 block and no level-3 table."""
    t = make()
    t.map(0x4020_0000, 0x8020_0000, 2 * MIB, S2Perm.RW, MemType.NORMAL)
    tr = t.translate(0x4030_0004)
    assert tr is not None
    assert (tr.pa, tr.level, tr.block_size) == (0x8030_0004, 2, 2 * MIB)
    assert tr.descriptor & 0b11 == 0b01
    assert len(t.table_pages()) == 2  # level-1 table + one level-2 table


def test_misaligned_pa_forces_pages() -> None:
    """An aligned IPA with a PA that is not 2 MiB aligned must use pages."""
    t = make()
    t.map(0x4020_0000, 0x8020_1000, 2 * MIB, S2Perm.RW, MemType.NORMAL)
    tr = t.translate(0x4020_0000)
    assert tr is not None and (tr.pa, tr.level) == (0x8020_1000, 3)


def test_1gib_block() -> None:
    """A 1 GiB-aligned 1 GiB range is a single level-1 block descriptor."""
    t = make()
    t.map(1 * GIB, 2 * GIB, 1 * GIB, S2Perm.READ | S2Perm.EXEC, MemType.NORMAL)
    tr = t.translate(1 * GIB + 0x1234_5678)
    assert tr is not None
    assert (tr.pa, tr.level, tr.block_size) == (2 * GIB + 0x1234_5678, 1, 1 * GIB)
    assert tr.descriptor_pa == t.root_pa + 8
    assert t.table_pages() == [t.root_pa]


def test_straddling_mapping_uses_pages_at_edges_and_blocks_inside() -> None:
    """A range sticking out of 2 MiB alignment by a page each side: page, 2 blocks, page."""
    t = make()
    ipa, pa, size = 0x401F_F000, 0x801F_F000, 4 * MIB + 8 * KIB
    t.map(ipa, pa, size, S2Perm.RW, MemType.NORMAL)
    levels = {}
    for probe in (ipa, 0x4020_0000, 0x4040_0000, 0x405F_F000, 0x4060_0000):
        tr = t.translate(probe)
        assert tr is not None and tr.pa == pa + (probe - ipa)
        levels[probe] = tr.level
    assert levels == {
        0x401F_F000: 3,
        0x4020_0000: 2,
        0x4040_0000: 2,
        0x405F_F000: 2,
        0x4060_0000: 3,
    }
    assert t.translate(ipa - 4 * KIB) is None and t.translate(ipa + size) is None
    assert t.mappings() == [Mapping(ipa, pa, size, S2Perm.RW, MemType.NORMAL)]


@pytest.mark.parametrize(
    ("perm", "s2ap", "xn"),
    [
        (S2Perm.NONE, 0b00, 1),
        (S2Perm.READ, 0b01, 1),
        (S2Perm.WRITE, 0b10, 1),
        (S2Perm.RW, 0b11, 1),
        (S2Perm.RX, 0b01, 0),
        (S2Perm.RWX, 0b11, 0),
    ],
)
def test_permissions_become_s2ap_and_xn_bits(perm: S2Perm, s2ap: int, xn: int) -> None:
    """READ/WRITE land in S2AP[7:6] and a missing EXEC sets XN[54] in the raw descriptor."""
    t = make()
    t.map(0x1000, 0x2000, 4 * KIB, perm, MemType.NORMAL)
    tr = t.translate(0x1000)
    assert tr is not None
    raw = t.memory.read_u64(tr.descriptor_pa)
    assert ((raw >> 6) & 0b11, (raw >> 54) & 1, (raw >> 10) & 1) == (s2ap, xn, 1)
    assert tr.perm == perm


def test_device_and_normal_memattr() -> None:
    """Normal RAM is MemAttr 0b1111 inner shareable; devices are MemAttr 0b0001."""
    t = make()
    t.map(0x4000_0000, 0x8000_0000, 4 * KIB, S2Perm.RWX, MemType.NORMAL)
    t.map(0x1C09_0000, 0x1C09_0000, 4 * KIB, S2Perm.RW, MemType.DEVICE)
    ram, dev = t.translate(0x4000_0000), t.translate(0x1C09_0000)
    assert ram is not None and dev is not None
    assert ((ram.descriptor >> 2) & 0xF, (ram.descriptor >> 8) & 0b11) == (0b1111, 0b11)
    assert ((dev.descriptor >> 2) & 0xF, (dev.descriptor >> 8) & 0b11) == (0b0001, 0b10)
    assert (ram.mem_type, dev.mem_type) == (MemType.NORMAL, MemType.DEVICE)
    assert dev.descriptor == 0x0040_0000_1C09_06C7


def test_unmapped_ipa_is_a_translation_fault_at_the_level_the_walk_stopped() -> None:
    """Faults name the level of the invalid descriptor: 0b000101 / 0b000110 / 0b000111."""
    t = make()
    f = t.check(0x4000_0000, "read")
    assert f is not None and (f.kind, f.level, f.status) == ("translation", 1, 0b000101)
    t.map(0x4000_0000, 0x8000_0000, 4 * KIB, S2Perm.RWX, MemType.NORMAL)
    f = t.check(0x4020_0000, "read")  # same GiB, other 2 MiB: level-2 entry invalid
    assert f is not None and (f.kind, f.level, f.status) == ("translation", 2, 0b000110)
    f = t.check(0x4000_1000, "write")  # same 2 MiB, next page: level-3 entry invalid
    assert f is not None and (f.kind, f.level, f.status) == ("translation", 3, 0b000111)
    f = t.check(1 << 32, "read")  # beyond the 32-bit IPA space
    assert f is not None and (f.kind, f.level, f.status) == ("translation", 1, 0b000101)


def test_write_to_read_only_is_a_permission_fault() -> None:
    """A write to a read-only page faults 0b001111; to a read-only block 0b001110."""
    t = make()
    t.map(0x1000, 0x9000, 4 * KIB, S2Perm.READ, MemType.NORMAL)
    t.map(0x20_0000, 0x40_0000, 2 * MIB, S2Perm.RX, MemType.NORMAL)
    assert t.check(0x1000, "read") is None
    f = t.check(0x1FFC, "write")
    assert f is not None and f.access == "write"
    assert (f.kind, f.level, f.status) == ("permission", 3, 0b001111)
    f = t.check(0x21_0000, "write")
    assert f is not None and (f.kind, f.level, f.status) == ("permission", 2, 0b001110)


def test_exec_of_xn_is_a_permission_fault() -> None:
    """Instruction fetch from an XN page faults; from an executable page it does not."""
    t = make()
    t.map(0x1C09_0000, 0x1C09_0000, 4 * KIB, S2Perm.RW, MemType.DEVICE)
    t.map(0x4000_0000, 0x8000_0000, 4 * KIB, S2Perm.RX, MemType.NORMAL)
    f = t.check(0x1C09_0000, "exec")
    assert f is not None and (f.kind, f.level, f.status) == ("permission", 3, 0b001111)
    assert t.check(0x4000_0000, "exec") is None


def test_cleared_access_flag_is_an_access_flag_fault() -> None:
    """A leaf with AF=0 faults 0b0010LL before permissions are looked at."""
    t = make()
    t.map(0x1000, 0x9000, 4 * KIB, S2Perm.RW, MemType.NORMAL)
    tr = t.translate(0x1000)
    assert tr is not None
    t.memory.write_u64(tr.descriptor_pa, tr.descriptor & ~(1 << 10))
    f = t.check(0x1000, "read")
    assert f is not None and (f.kind, f.level, f.status) == ("access_flag", 3, 0b001011)


def test_overlap_names_both_ranges() -> None:
    """Mapping over an existing run fails and the message names the new and the old range."""
    t = make()
    t.map(0x4000_0000, 0x8000_0000, 16 * MIB, S2Perm.RWX, MemType.NORMAL)
    before = t.mappings()
    expected = (
        "map: IPA [0x40fff000, 0x41001000) overlaps existing mapping "
        "[0x40000000, 0x41000000) -> PA 0x80000000"
    )
    with pytest.raises(Stage2Error, match=re.escape(expected)):
        t.map(0x40FF_F000, 0x1000_0000, 8 * KIB, S2Perm.READ, MemType.NORMAL)
    assert t.mappings() == before


@pytest.mark.parametrize(
    ("ipa", "pa", "size", "message"),
    [
        (0x1001, 0x2000, 4 * KIB, "not 4 KiB aligned"),
        (0x1000, 0x2000, 100, "not 4 KiB aligned"),
        (0x1000, 0x2001, 4 * KIB, "misaligned or beyond 40 bits"),
        (0xFFFF_F000, 0x2000, 8 * KIB, "outside 32 bits"),
        (0x1000, (1 << 40) - 4 * KIB, 8 * KIB, "misaligned or beyond 40 bits"),
        (0x1000, HV_BASE + 4 * KIB, 4 * KIB, "exposes hypervisor memory"),
    ],
)
def test_bad_map_requests_are_refused(ipa: int, pa: int, size: int, message: str) -> None:
    """Misalignment, IPA/PA range and hypervisor-memory exposure raise Stage2Error."""
    t = make()
    with pytest.raises(Stage2Error, match=message):
        t.map(ipa, pa, size, S2Perm.RW, MemType.NORMAL)
    assert t.mappings() == []


def test_unmap_then_fault_and_tables_are_freed() -> None:
    """After unmap the IPA faults again and the emptied tables go back to the allocator."""
    t = make()
    t.map(0x4000_0000, 0x8000_0000, 8 * KIB, S2Perm.RW, MemType.NORMAL)
    assert len(t.table_pages()) == 3
    t.unmap(0x4000_0000, 4 * KIB)
    f = t.check(0x4000_0000, "read")
    assert f is not None and (f.kind, f.level) == ("translation", 3)
    assert t.check(0x4000_1000, "read") is None
    t.unmap(0x4000_1000, 4 * KIB)
    f = t.check(0x4000_1000, "read")
    assert f is not None and (f.kind, f.level) == ("translation", 1)
    assert t.table_pages() == [t.root_pa]


def test_unmap_inside_a_block_splits_it() -> None:
    """Unmapping one page of a 2 MiB block leaves the other 511 pages mapped at level 3."""
    t = make()
    t.map(0x4000_0000, 0x8000_0000, 2 * MIB, S2Perm.RW, MemType.NORMAL)
    t.unmap(0x4010_0000, 4 * KIB)
    f = t.check(0x4010_0000, "read")
    assert f is not None and (f.kind, f.level) == ("translation", 3)
    left, right = t.translate(0x400F_F000), t.translate(0x4010_1000)
    assert left is not None and right is not None
    assert (left.pa, left.level, right.pa, right.level) == (0x800F_F000, 3, 0x8010_1000, 3)
    assert t.mappings() == [
        Mapping(0x4000_0000, 0x8000_0000, 1 * MIB, S2Perm.RW, MemType.NORMAL),
        Mapping(0x4010_1000, 0x8010_1000, 1 * MIB - 4 * KIB, S2Perm.RW, MemType.NORMAL),
    ]


def test_mappings_merges_adjacent_identical_runs() -> None:
    """Runs contiguous in IPA and PA with equal attributes merge; anything else splits."""
    t = make()
    t.map(0x4000_0000, 0x8000_0000, 1 * MIB, S2Perm.RWX, MemType.NORMAL)
    t.map(0x4010_0000, 0x8010_0000, 3 * MIB, S2Perm.RWX, MemType.NORMAL)  # merges
    t.map(0x4040_0000, 0x8040_0000, 4 * KIB, S2Perm.RW, MemType.NORMAL)  # other perm
    t.map(0x4040_1000, 0x9000_0000, 4 * KIB, S2Perm.RW, MemType.NORMAL)  # PA jumps
    assert t.mappings() == [
        Mapping(0x4000_0000, 0x8000_0000, 4 * MIB, S2Perm.RWX, MemType.NORMAL),
        Mapping(0x4040_0000, 0x8040_0000, 4 * KIB, S2Perm.RW, MemType.NORMAL),
        Mapping(0x4040_1000, 0x9000_0000, 4 * KIB, S2Perm.RW, MemType.NORMAL),
    ]


def test_vttbr_and_vtcr_register_values() -> None:
    """VTTBR holds VMID[55:48] and the level-1 table PA; VTCR encodes T0SZ=0, SL0=1."""
    t = make(vmid=0x5A)
    assert t.vttbr == 0x005A_0000_F000_0000
    assert t.vttbr >> 48 == 0x5A and t.vttbr & OA_MASK == t.root_pa == t.table_pages()[0]
    assert t.baddr_align_bits == 5  # 4 entries x 8 bytes
    # RES1 | SH0=11 | ORGN0=01 | IRGN0=01 | SL0=01 | S=0 | T0SZ=0
    assert t.vtcr == 0x8000_3540


def test_other_ipa_sizes_and_start_levels() -> None:
    """40-bit IPA: T0SZ=-8 (S=1), 2 concatenated L1 pages; 32-bit from level 2: 4 L2 pages."""
    mem = HypervisorMemory(HV_BASE, 64 * 4 * KIB)
    wide = Stage2Table(mem, vmid=2, ipa_bits=40)
    assert (wide.root_entries, wide.baddr_align_bits, wide.vtcr & 0xFF) == (1024, 13, 0x58)
    assert wide.root_pa % (8 * KIB) == 0
    wide.map(0xFF_C000_0000, 0x1000_0000, 4 * KIB, S2Perm.RW, MemType.NORMAL)
    tr = wide.translate(0xFF_C000_0010)
    assert tr is not None and tr.pa == 0x1000_0010
    assert tr.descriptor_pa in range(HV_BASE, HV_BASE + mem.size)
    low = Stage2Table(mem, vmid=3, ipa_bits=32, start_level=2)
    assert (low.root_entries, low.baddr_align_bits, low.vtcr) == (2048, 14, 0x8000_3500)
    assert low.root_pa % (16 * KIB) == 0
    low.map(0xC020_0000, 0x2000_0000, 2 * MIB, S2Perm.RW, MemType.NORMAL)
    tr = low.translate(0xC020_0000)
    assert tr is not None and (tr.pa, tr.level) == (0x2000_0000, 2)
    with pytest.raises(Stage2Error, match="cannot start at level 1"):
        Stage2Table(mem, vmid=4, ipa_bits=30, start_level=1)


def test_tables_live_in_hypervisor_memory_and_raw_walk_agrees() -> None:
    """Table pages are 4 KiB aligned in HV memory; a byte-level walk matches translate()."""
    t = make()
    t.map(0x3FFF_F000, 0x6FFF_F000, 2 * MIB + 8 * KIB, S2Perm.RWX, MemType.NORMAL)
    t.map(0x1C09_0000, 0x1C09_0000, 4 * KIB, S2Perm.RW, MemType.DEVICE)
    for page in t.table_pages():
        assert page % (4 * KIB) == 0 and HV_BASE <= page < HV_BASE + t.memory.size
    for ipa in (0x3FFF_F000, 0x4000_0000, 0x401F_FFF8, 0x4020_0000, 0x1C09_0FFC):
        level, desc, slot = raw_walk(t, ipa)
        tr = t.translate(ipa)
        assert tr is not None
        assert (tr.level, tr.descriptor, tr.descriptor_pa) == (level, desc, slot)
        assert desc == t.memory.read_u64(slot)


def test_failed_map_rolls_back_when_hypervisor_memory_runs_out() -> None:
    """A map that runs out of table pages leaves no partial mapping and no leaked tables."""
    t = make(pages=2)  # level-1 table + one spare page
    with pytest.raises(Stage2Error, match="exhausted"):
        t.map(0x4000_0000, 0x8000_0000, 4 * KIB, S2Perm.RW, MemType.NORMAL)
    assert t.mappings() == [] and t.table_pages() == [t.root_pa]
    t.map(0x4000_0000, 0x8000_0000, 2 * MIB, S2Perm.RW, MemType.NORMAL)  # needs only L2
    assert t.translate(0x4000_0000) is not None


def test_dump_lists_registers_and_descriptors() -> None:
    """dump() shows VTCR/VTTBR, each table and each leaf with its attributes."""
    t = make(vmid=7)
    t.map(0x4000_0000, 0x8000_0000, 2 * MIB, S2Perm.RWX, MemType.NORMAL)
    t.map(0x1C09_0000, 0x1C09_0000, 4 * KIB, S2Perm.RW, MemType.DEVICE)
    text = t.dump()
    assert text.splitlines()[0] == (
        "Stage-2 VMID 7: 32-bit IPA, start level 1, VTCR=0x80003540 VTTBR=0x00070000f0000000"
    )
    assert "2M block -> PA 0x080000000 RWX normal" in text
    assert "4K page -> PA 0x01c090000 RW device" in text


# A small VM: 16 MiB of RAM, a UART page, a GIC CPU-interface page, nothing else.
RAM_IPA, RAM_PA, RAM_SIZE = 0x4000_0000, 0x6000_0000, 16 * MIB
DEVICES = {0x1C09_0000: 0x1C09_0000, 0x2C00_2000: 0x2C00_6000}


def expected(ipa: int) -> tuple[int, S2Perm, MemType] | None:
    if RAM_IPA <= ipa < RAM_IPA + RAM_SIZE:
        return RAM_PA + ipa - RAM_IPA, S2Perm.RWX, MemType.NORMAL
    page = ipa & ~0xFFF
    if page in DEVICES:
        return DEVICES[page] + (ipa & 0xFFF), S2Perm.RW, MemType.DEVICE
    return None


def test_every_page_of_a_small_vm_layout() -> None:
    """Every page around RAM, devices and the gaps translates and faults exactly as intended."""
    t = make()
    t.map(RAM_IPA, RAM_PA, RAM_SIZE, S2Perm.RWX, MemType.NORMAL)
    for ipa, pa in DEVICES.items():
        t.map(ipa, pa, 4 * KIB, S2Perm.RW, MemType.DEVICE)
    probes = set(range(0, 1 << 32, 2 * MIB))  # one page per 2 MiB over the whole IPA space
    probes |= set(range(RAM_IPA - 2 * MIB, RAM_IPA + RAM_SIZE + 16 * MIB, 4 * KIB))
    for dev in DEVICES:
        probes |= set(range((dev & ~(2 * MIB - 1)), (dev & ~(2 * MIB - 1)) + 2 * MIB, 4 * KIB))
    for page in sorted(probes):
        for ipa in (page, page + 0xFFC):
            want = expected(ipa)
            tr = t.translate(ipa)
            if want is None:
                assert tr is None, hex(ipa)
                for access in ACCESSES:
                    f = t.check(ipa, access)
                    assert f is not None and f.kind == "translation", hex(ipa)
                continue
            assert tr is not None and (tr.pa, tr.perm, tr.mem_type) == want, hex(ipa)
            assert t.check(ipa, "read") is None and t.check(ipa, "write") is None
            exec_fault = t.check(ipa, "exec")
            if S2Perm.EXEC in want[1]:
                assert exec_fault is None
            else:
                assert exec_fault is not None and exec_fault.status == 0b001111, hex(ipa)
    assert t.mappings() == [
        Mapping(0x1C09_0000, 0x1C09_0000, 4 * KIB, S2Perm.RW, MemType.DEVICE),
        Mapping(0x2C00_2000, 0x2C00_6000, 4 * KIB, S2Perm.RW, MemType.DEVICE),
        Mapping(RAM_IPA, RAM_PA, RAM_SIZE, S2Perm.RWX, MemType.NORMAL),
    ]
