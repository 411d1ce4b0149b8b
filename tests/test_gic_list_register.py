"""GICH_LR encoding: the fields land where the GICv2 spec puts them and decode back."""

from __future__ import annotations

from rthv.board.gic.list_register import (
    LrState,
    lr_iar_value,
    lr_needs_eoi_maintenance,
    lr_physical_id,
    lr_priority,
    lr_state,
    lr_with_state,
    make_list_register,
)


def test_a_software_entry_carries_id_priority_state_source_and_eoi() -> None:
    """VirtualID [9:0], CPUID [12:10], EOI [19], Priority [27:23] (top 5 bits), State [29:28]."""
    value = make_list_register(3, 0xA8, source_cpu=2, eoi=True)
    assert value == 3 | 2 << 10 | 1 << 19 | (0xA8 >> 3) << 23 | 1 << 28
    assert (lr_state(value), lr_priority(value), lr_physical_id(value)) == (
        LrState.PENDING,
        0xA8,
        None,
    )
    assert lr_iar_value(value) == 3 | 2 << 10  # an SGI is acknowledged with its source CPU


def test_a_hardware_entry_links_the_physical_interrupt() -> None:
    """HW [31] with the physical ID in [19:10]; the IAR shows only the virtual ID."""
    value = make_list_register(40, 0x10, state=LrState.ACTIVE, physical_id=41)
    assert value >> 31 == 1 and lr_physical_id(value) == 41
    assert lr_iar_value(value) == 40 and lr_state(value) == LrState.ACTIVE


def test_the_state_changes_alone_and_eoi_maintenance_is_for_a_finished_software_entry() -> None:
    """Only the State field changes; an invalid HW=0 entry with EOI=1 wants maintenance."""
    value = make_list_register(5, 0x80, eoi=True)
    done = lr_with_state(value, LrState.INVALID)
    assert done == value & ~(0b11 << 28) and lr_state(done) == LrState.INVALID
    assert lr_needs_eoi_maintenance(done) and not lr_needs_eoi_maintenance(value)
    linked = lr_with_state(make_list_register(5, 0x80, physical_id=5), LrState.INVALID)
    assert not lr_needs_eoi_maintenance(linked)
