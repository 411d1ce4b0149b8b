"""Stage-2 descriptor attributes: permissions and memory types encode and decode back."""

from __future__ import annotations

import pytest

from rthv.hv import stage2_descriptors as s2


@pytest.mark.parametrize(
    "perm", [s2.S2Perm.NONE, s2.S2Perm.READ, s2.S2Perm.RW, s2.S2Perm.RX, s2.S2Perm.RWX]
)
@pytest.mark.parametrize("mem_type", list(s2.MemType))
def test_leaf_attributes_read_back_as_written(perm: s2.S2Perm, mem_type: s2.MemType) -> None:
    """Every permission set and memory type survives an encode/decode; AF is always set."""
    attrs = s2.leaf_attrs(perm, mem_type)
    assert (s2.desc_perm(attrs), s2.desc_mem_type(attrs)) == (perm, mem_type)
    assert attrs & s2.DESC_AF and bool(attrs & s2.DESC_XN) == (s2.S2Perm.EXEC not in perm)


def test_normal_memory_is_inner_shareable_write_back_device_outer_shareable() -> None:
    """MemAttr 0b1111 with SH=11 for Normal, 0b0001 with SH=10 for Device (bits [9:2])."""
    assert s2.leaf_attrs(s2.S2Perm.NONE, s2.MemType.NORMAL) >> 2 & 0xFF == 0b11_00_1111
    assert s2.leaf_attrs(s2.S2Perm.NONE, s2.MemType.DEVICE) >> 2 & 0xFF == 0b10_00_0001


def test_descriptor_types_depend_on_the_level() -> None:
    """0b11 is a table at levels 1-2 and a page at level 3; 0b01 is a block at levels 1-2."""
    assert s2.is_table(0b11, 1) and s2.is_table(0b11, 2) and not s2.is_table(0b11, 3)
    assert s2.is_leaf(0b11, 3) and s2.is_leaf(0b01, 2) and not s2.is_leaf(0b01, 3)
    assert (s2.leaf_type(1), s2.leaf_type(3)) == (0b01, 0b11)
