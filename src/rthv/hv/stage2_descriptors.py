"""Stage-2 descriptors, VTCR/VTTBR fields and fault status codes: the LPAE format in numbers.

Sources: ARM DDI 0406C (ARMv7-A/R ARM) B3.6 Long-descriptor translation table format
(descriptors, memory attributes), B3.7/B3.8 stage 2 permissions and memory types, B3.13
long-descriptor fault status codes, B4.1.159 VTCR and the VTTBR description; cross-checked with
the AArch32 VTCR / VMSAv8-32 walk pseudocode of the ARMv8 ARM and Linux arch/arm KVM headers.

Descriptor bits[1:0]: x0 invalid; 0b11 table at L1-L2 (bits[39:12] = next table's PA); 0b01
block at L1-L2; 0b11 page at L3 (0b01 at L3 is reserved and faults like an invalid entry).
Leaf attributes: MemAttr bits[5:2] (0b1111 Normal, Outer+Inner Write-Back; 0b0001 Device;
0b0000 Strongly-ordered), HAP (S2AP) bits[7:6] (00 none, 01 read-only, 10 write-only, 11
read/write), SH bits[9:8] (00 non-, 10 outer, 11 inner shareable), AF bit[10] (0 gives an
access flag fault; we always write 1), XN bit[54], output address bits[39:12]. Device pages
are written Outer Shareable, the shareability the architecture reports for Device memory.

VTCR: T0SZ[3:0] signed (IPA space 2**(32-T0SZ)), S[4] = T0SZ[3], SL0[7:6], IRGN0[9:8],
ORGN0[11:10], SH0[13:12] (attributes of the walk's own accesses), bit[31] written as one.
VTTBR: BADDR[39:x], x = 3 + log2(first-level entries), and VMID[55:48].

Fault status codes: translation 0b0001LL, access flag 0b0010LL, permission 0b0011LL, LL = level.
Data accesses are checked against HAP, instruction fetches against XN.
"""

from __future__ import annotations

import enum
from typing import Literal

from rthv.board.memory import PAGE_SIZE

DESC_BYTES = 8
ENTRIES_PER_PAGE = PAGE_SIZE // DESC_BYTES  # 512: 9 IPA bits per level
PA_BITS = 40
PA_LIMIT = 1 << PA_BITS
LEVEL_SHIFT = {1: 30, 2: 21, 3: 12}
LEVEL_SIZE = {level: 1 << shift for level, shift in LEVEL_SHIFT.items()}
ROOT_ENTRIES_LOG2_MAX = 13  # 512 entries x up to 16 concatenated pages

DESC_TYPE_MASK = 0b11
DESC_TYPE_BLOCK = 0b01  # levels 1-2
DESC_TYPE_TABLE = 0b11  # levels 1-2
DESC_TYPE_PAGE = 0b11  # level 3
DESC_OA_MASK = (PA_LIMIT - 1) & ~(PAGE_SIZE - 1)  # bits[39:12]
MEMATTR_SHIFT = 2
MEMATTR_MASK = 0xF << MEMATTR_SHIFT
MEMATTR_NORMAL_WB = 0b1111  # MemAttr[3:2]=11 Outer WB, [1:0]=11 Inner WB
MEMATTR_DEVICE = 0b0001  # MemAttr[3:2]=00 Device/Strongly-ordered, [1:0]=01 Device
S2AP_SHIFT = 6
S2AP_MASK = 0b11 << S2AP_SHIFT
S2AP_READ, S2AP_WRITE = 0b01, 0b10
SH_SHIFT = 8
SH_NONE, SH_OUTER, SH_INNER = 0b00, 0b10, 0b11
DESC_AF = 1 << 10
DESC_XN = 1 << 54

VTCR_T0SZ_MASK = 0xF
VTCR_S = 1 << 4
VTCR_SL0_SHIFT, VTCR_IRGN0_SHIFT, VTCR_ORGN0_SHIFT, VTCR_SH0_SHIFT = 6, 8, 10, 12
VTCR_RES1 = 1 << 31
RGN_NC, RGN_WBWA, RGN_WT, RGN_WB = 0b00, 0b01, 0b10, 0b11
VTTBR_VMID_SHIFT = 48
VMID_MAX = 0xFF

FSC_TRANSLATION, FSC_ACCESS_FLAG, FSC_PERMISSION = 0b000100, 0b001000, 0b001100

Access = Literal["read", "write", "exec"]
FaultKind = Literal["translation", "access_flag", "permission"]


class Stage2Error(Exception):
    """A Stage-2 table operation was refused (overlap, misalignment, range, out of memory)."""


class S2Perm(enum.Flag):
    """Stage-2 permissions; READ/WRITE become HAP bits, missing EXEC sets XN."""

    NONE = 0
    READ = enum.auto()
    WRITE = enum.auto()
    EXEC = enum.auto()
    RW = READ | WRITE
    RX = READ | EXEC
    RWX = READ | WRITE | EXEC


class MemType(enum.Enum):
    """Stage-2 memory type written into MemAttr."""

    NORMAL = "normal"
    DEVICE = "device"


def leaf_attrs(perm: S2Perm, mem_type: MemType) -> int:
    """Block/page attribute bits (no type, no output address) for `perm` and `mem_type`."""
    normal = mem_type is MemType.NORMAL
    s2ap = (S2AP_READ if S2Perm.READ in perm else 0) | (S2AP_WRITE if S2Perm.WRITE in perm else 0)
    memattr = MEMATTR_NORMAL_WB if normal else MEMATTR_DEVICE
    xn = 0 if S2Perm.EXEC in perm else DESC_XN
    sh = SH_INNER if normal else SH_OUTER
    return memattr << MEMATTR_SHIFT | s2ap << S2AP_SHIFT | sh << SH_SHIFT | DESC_AF | xn


def desc_perm(desc: int) -> S2Perm:
    s2ap = (desc & S2AP_MASK) >> S2AP_SHIFT
    perm = S2Perm.READ if s2ap & S2AP_READ else S2Perm.NONE
    perm |= S2Perm.WRITE if s2ap & S2AP_WRITE else S2Perm.NONE
    return perm | (S2Perm.NONE if desc & DESC_XN else S2Perm.EXEC)


def desc_mem_type(desc: int) -> MemType:
    # MemAttr[3:2] == 0b00 is Strongly-ordered or Device; anything else is Normal memory.
    return MemType.DEVICE if (desc & MEMATTR_MASK) >> (MEMATTR_SHIFT + 2) == 0 else MemType.NORMAL


def is_table(desc: int, level: int) -> bool:
    return level < 3 and desc & DESC_TYPE_MASK == DESC_TYPE_TABLE


def leaf_type(level: int) -> int:
    return DESC_TYPE_PAGE if level == 3 else DESC_TYPE_BLOCK


def is_leaf(desc: int, level: int) -> bool:
    return desc & DESC_TYPE_MASK == leaf_type(level)
