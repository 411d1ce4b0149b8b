"""Stage-2 descriptor attributes: permissions and memory types encode and decode back."""

from __future__ import annotations

import pytest

from rthv.hv.stage2_descriptors import (
    DESC_AF,
    DESC_XN,
    MemType,
    S2Perm,
    desc_mem_type,
    desc_perm,
    is_leaf,
    is_table,
    leaf_attrs,
    leaf_type,
)


@pytest.mark.parametrize("perm", [S2Perm.NONE, S2Perm.READ, S2Perm.RW, S2Perm.RX, S2Perm.RWX])
@pytest.mark.parametrize("mem_type", list(MemType))
def test_leaf_attributes_read_back_as_written(perm: S2Perm, mem_type: MemType) -> None:
    """Every permission set and memory type survives an encode/decode; AF is always set."""
    attrs = leaf_attrs(perm, mem_type)
    assert (desc_perm(attrs), desc_mem_type(attrs)) == (perm, mem_type)
    assert attrs & DESC_AF and bool(attrs & DESC_XN) == (S2Perm.EXEC not in perm)


def test_normal_memory_is_inner_shareable_write_back_device_outer_shareable() -> None:
    """MemAttr 0b1111 with SH=11 for Normal, 0b0001 with SH=10 for Device (bits [9:2])."""
    assert leaf_attrs(S2Perm.NONE, MemType.NORMAL) >> 2 & 0xFF == 0b11_00_1111
    assert leaf_attrs(S2Perm.NONE, MemType.DEVICE) >> 2 & 0xFF == 0b10_00_0001


def test_descriptor_types_depend_on_the_level() -> None:
    """0b11 is a table at levels 1-2 and a page at level 3; 0b01 is a block at levels 1-2."""
    assert is_table(0b11, 1) and is_table(0b11, 2) and not is_table(0b11, 3)
    assert is_leaf(0b11, 3) and is_leaf(0b01, 2) and not is_leaf(0b01, 3)
    assert (leaf_type(1), leaf_type(3)) == (0b01, 0b11)
