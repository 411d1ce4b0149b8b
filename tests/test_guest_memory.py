"""A VM's memory as its code sees it: the guest's page tables, then Stage 2, then RAM only."""

from __future__ import annotations

from pathlib import Path

import pytest

import rthv
from rthv.board.registers import SCTLR
from rthv.tools.guest_memory import TTBCR, TTBR0, GuestMemory, GuestMemoryError

TWO_RTOS = Path(__file__).resolve().parents[1] / "examples" / "two-rtos.toml"
RAM = 0x8000_0000  # both VMs' RAM at this IPA, at different physical addresses
TABLES = RAM + 0x30_0000  # a 16 KiB first-level table, then a second-level one


def _memories() -> tuple[GuestMemory, GuestMemory]:
    hv = rthv.load(TWO_RTOS).hypervisor
    return GuestMemory(hv.vms["rtos-a"], hv.machine), GuestMemory(hv.vms["rtos-b"], hv.machine)


def test_with_the_mmu_off_a_virtual_address_is_the_ipa_of_the_vms_own_ram() -> None:
    """The same IPA in two VMs is two different places; a write in one leaves the other alone."""
    a, b = _memories()
    a.write(RAM + 0x20_0000, b"rthv")
    assert a.read(RAM + 0x20_0000, 4) == b"rthv"
    assert b.read(RAM + 0x20_0000, 4) != b"rthv"
    assert a.to_pa(RAM) != b.to_pa(RAM)


def test_the_guests_own_page_tables_translate_sections_and_small_pages() -> None:
    """A 1 MiB section and a 4 KiB page of short descriptors, as the guest would build them."""
    a, _ = _memories()
    second = TABLES + 0x4000
    a.write(TABLES + 4 * 0x100, ((RAM & 0xFFF00000) | 0b10).to_bytes(4, "little"))  # 0x10000000
    a.write(TABLES + 4 * 0x200, (second | 0b01).to_bytes(4, "little"))  # 0x20000000
    a.write(second + 4 * 3, ((RAM + 0x21_0000) | 0b10).to_bytes(4, "little"))  # 0x20003000
    a.write(RAM + 0x21_0010, b"page")
    regs = a.vm.core.regs
    regs.set_sys(TTBR0, TABLES)
    regs.set_sys(TTBCR, 0)
    regs.set_sys(SCTLR, regs.sys(SCTLR) | 1)
    assert a.to_ipa(0x1000_1234) == RAM + 0x1234
    assert a.read(0x2000_3010, 4) == b"page"
    with pytest.raises(GuestMemoryError, match="not mapped by the guest's page tables"):
        a.read(0x3000_0000, 4)


def test_a_device_or_an_unmapped_ipa_is_not_read() -> None:
    """The UART page is a device (a read could change it); an IPA outside Stage 2 is absent."""
    a, _ = _memories()
    with pytest.raises(GuestMemoryError, match="is a device"):
        a.read(0x1C09_0000, 4)
    with pytest.raises(GuestMemoryError, match="not mapped for VM rtos-a"):
        a.read(0x4000_0000, 4)
