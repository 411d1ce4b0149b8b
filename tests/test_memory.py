"""PhysicalMemory: page-aligned non-overlapping regions, lookups, RAM access and host pointers."""

from __future__ import annotations

import ctypes

import pytest

from rthv.board.memory import (
    PAGE_SIZE,
    DeviceWindow,
    MemoryMapError,
    PhysicalMemory,
    RamRegion,
)


class NullDevice:
    """A register block that reads zero and ignores writes."""

    def read(self, offset: int, size: int) -> int:
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        pass


def _board() -> PhysicalMemory:
    """RAM at 0x8000_0000 (64 KiB), a UART at 0x1c09_0000 and RAM at 0x1000 (one page)."""
    memory = PhysicalMemory()
    memory.add_ram("dram", 0x8000_0000, 0x10000)
    memory.add_device("uart0", 0x1C09_0000, PAGE_SIZE, NullDevice())
    memory.add_ram("sram", 0x1000, PAGE_SIZE)
    return memory


def test_regions_are_kept_sorted_by_base() -> None:
    """Regions come back in address order whatever the insertion order; ram lists RAM only."""
    memory = _board()
    assert [r.name for r in memory.regions] == ["sram", "uart0", "dram"]
    assert [r.name for r in memory.ram] == ["sram", "dram"]
    assert isinstance(memory.regions[1], DeviceWindow)
    assert all(isinstance(r, RamRegion) for r in memory.ram)


def test_overlap_error_names_both_regions_and_ranges() -> None:
    """A region overlapping another is refused; the message names both with their ranges."""
    memory = _board()
    with pytest.raises(MemoryMapError) as error:
        memory.add_ram("extra", 0x8000_F000, 0x2000)
    assert str(error.value) == (
        "extra [0x8000f000, 0x80011000) overlaps dram [0x80000000, 0x80010000)"
    )
    with pytest.raises(MemoryMapError, match=r"gic \[0x1c08f000, 0x1c091000\) overlaps uart0"):
        memory.add_device("gic", 0x1C08_F000, 0x2000, NullDevice())
    assert [r.name for r in memory.regions] == ["sram", "uart0", "dram"]


def test_overlap_detected_when_new_region_covers_a_later_one() -> None:
    """A region starting below an existing one and reaching into it is refused too."""
    memory = _board()
    with pytest.raises(MemoryMapError, match=r"big .* overlaps dram"):
        memory.add_ram("big", 0x7000_0000, 0x1000_1000)


def test_adjacent_regions_do_not_overlap() -> None:
    """Regions touching at a boundary are accepted on both sides."""
    memory = _board()
    memory.add_ram("below", 0x7FFF_F000, PAGE_SIZE)
    memory.add_ram("above", 0x8001_0000, PAGE_SIZE)
    assert [r.name for r in memory.regions][-3:] == ["below", "dram", "above"]


@pytest.mark.parametrize(
    ("base", "size"),
    [(0x8000_0800, PAGE_SIZE), (0x8000_0000, 0x800), (0x8000_0000, PAGE_SIZE + 1)],
)
def test_misaligned_regions_are_refused(base: int, size: int) -> None:
    """Base and size must be multiples of 4 KiB, for RAM and devices alike."""
    memory = PhysicalMemory()
    with pytest.raises(MemoryMapError) as error:
        memory.add_ram("r", base, size)
    assert str(error.value) == "r: base and size must be multiples of 4 KiB"
    with pytest.raises(MemoryMapError, match=r"^d: base and size must be multiples of 4 KiB$"):
        memory.add_device("d", base, size, NullDevice())
    assert memory.regions == ()


def test_empty_device_window_is_refused() -> None:
    """A device window of size 0 is refused as a map error."""
    with pytest.raises(MemoryMapError, match=r"^d: "):
        PhysicalMemory().add_device("d", 0x1000, 0, NullDevice())


@pytest.mark.parametrize("size", [0, -PAGE_SIZE])
def test_empty_or_negative_ram_is_a_map_error(size: int) -> None:
    """A RAM region of size 0 or below is refused as a map error, like a misaligned one."""
    with pytest.raises(MemoryMapError):
        PhysicalMemory().add_ram("r", 0x1000, size)


def test_find_uses_region_boundaries() -> None:
    """find covers [base, base + size): first and last byte inside, neighbours outside."""
    memory = _board()
    dram, uart, sram = (memory.regions[i] for i in (2, 1, 0))
    assert memory.find(0x8000_0000) is dram
    assert memory.find(0x8000_FFFF) is dram
    assert memory.find(0x8001_0000) is None
    assert memory.find(0x7FFF_FFFF) is None
    assert memory.find(0x1C09_0000) is uart
    assert memory.find(0x1C09_0FFF) is uart
    assert memory.find(0x1C09_1000) is None
    assert memory.find(0x1000) is sram
    assert memory.find(0x0FFF) is None
    assert memory.find(0) is None
    assert PhysicalMemory().find(0x1000) is None


def test_ram_at_names_a_device() -> None:
    """An access to a device window is not RAM, and the error says which device."""
    with pytest.raises(MemoryMapError) as error:
        _board().ram_at(0x1C09_0010, 4)
    assert str(error.value) == "[0x1c090010, 0x1c090014) is not RAM (device uart0)"


def test_ram_at_reports_no_memory() -> None:
    """An access where nothing is mapped says so."""
    with pytest.raises(MemoryMapError) as error:
        _board().ram_at(0x4000_0000, 8)
    assert str(error.value) == "[0x40000000, 0x40000008) is not RAM (no memory)"


def test_ram_at_refuses_an_access_running_past_the_end() -> None:
    """An access starting in RAM but ending beyond it names the region and where it ends."""
    memory = _board()
    assert memory.ram_at(0x8000_FFFC, 4).name == "dram"
    with pytest.raises(MemoryMapError) as error:
        memory.ram_at(0x8000_FFFC, 5)
    assert str(error.value) == ("[0x8000fffc, 0x80010001) runs past the end of dram at 0x80010000")


def test_read_write_round_trip_at_physical_addresses() -> None:
    """Bytes written at a physical address read back there, and only there; RAM starts zeroed."""
    memory = _board()
    assert memory.read(0x8000_0100, 8) == bytes(8)
    memory.write(0x8000_0100, b"\x01\x02\x03\x04")
    memory.write(0x1FFE, b"\xaa\xbb")
    assert memory.read(0x8000_00FE, 8) == b"\x00\x00\x01\x02\x03\x04\x00\x00"
    assert memory.read(0x1FFE, 2) == b"\xaa\xbb"
    assert memory.ram[0].read(0xFFE, 2) == b"\xaa\xbb"
    assert memory.ram[1].read(0x100, 4) == b"\x01\x02\x03\x04"
    with pytest.raises(MemoryMapError, match="device uart0"):
        memory.write(0x1C09_0000, b"x")


def test_host_pointer_is_stable_and_shows_the_same_bytes() -> None:
    """The host pointer never moves, and ctypes at that pointer sees and changes region bytes."""
    memory = _board()
    dram = memory.ram[1]
    pointer = dram.host_pointer
    memory.write(0x8000_0010, b"rthv")
    assert dram.host_pointer == pointer
    assert ctypes.string_at(pointer + 0x10, 4) == b"rthv"
    ctypes.memmove(pointer + 0xFFFE, b"\x5a\xa5", 2)
    assert memory.read(0x8000_FFFE, 2) == b"\x5a\xa5"
    assert dram.host_pointer == pointer
    assert memory.ram[0].host_pointer != pointer
