"""Physical memory: RAM regions on host buffers and device windows, looked up by sorted ranges."""

from __future__ import annotations

import bisect
import ctypes
import mmap
from dataclasses import dataclass, field

from rthv.board.device import MmioDevice

PAGE_SIZE = 0x1000


class MemoryMapError(ValueError):
    """A region overlaps another, is misaligned, or an address has nothing behind it."""


@dataclass
class RamRegion:
    """RAM backed by an anonymous host mapping, so several engines can share it by pointer."""

    name: str
    base: int
    size: int
    buffer: mmap.mmap = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.buffer = mmap.mmap(-1, self.size)

    @property
    def host_pointer(self) -> int:
        """Host address of the first byte (for ``mem_map_ptr``)."""
        return ctypes.addressof(ctypes.c_char.from_buffer(self.buffer))

    def read(self, offset: int, length: int) -> bytes:
        """Bytes at ``offset`` within the region."""
        return self.buffer[offset : offset + length]

    def write(self, offset: int, data: bytes) -> None:
        """Store ``data`` at ``offset`` within the region."""
        self.buffer[offset : offset + len(data)] = data


@dataclass(frozen=True)
class DeviceWindow:
    """A device's register block at a physical address."""

    name: str
    base: int
    size: int
    device: MmioDevice
    timed: bool = False


Region = RamRegion | DeviceWindow


class PhysicalMemory:
    """The board's physical address map: non-overlapping, page-aligned, sorted by base."""

    def __init__(self) -> None:
        self._bases: list[int] = []
        self._regions: list[Region] = []

    @staticmethod
    def _check_geometry(name: str, base: int, size: int) -> None:
        if base % PAGE_SIZE or size % PAGE_SIZE or size <= 0:
            raise MemoryMapError(f"{name}: base and size must be multiples of 4 KiB")

    def _insert(self, region: Region) -> None:
        self._check_geometry(region.name, region.base, region.size)
        index = bisect.bisect_left(self._bases, region.base)
        for neighbour in self._regions[max(0, index - 1) : index + 1]:
            if (
                region.base < neighbour.base + neighbour.size
                and neighbour.base < region.base + region.size
            ):
                raise MemoryMapError(
                    f"{region.name} [{region.base:#x}, {region.base + region.size:#x}) overlaps "
                    f"{neighbour.name} [{neighbour.base:#x}, {neighbour.base + neighbour.size:#x})"
                )
        self._bases.insert(index, region.base)
        self._regions.insert(index, region)

    def add_ram(self, name: str, base: int, size: int) -> RamRegion:
        """Create a RAM region."""
        self._check_geometry(name, base, size)
        region = RamRegion(name, base, size)
        self._insert(region)
        return region

    def add_device(
        self, name: str, base: int, size: int, device: MmioDevice, *, timed: bool = False
    ) -> DeviceWindow:
        """Place a device's register block; ``timed`` devices need the exact time of accesses."""
        window = DeviceWindow(name, base, size, device, timed)
        self._insert(window)
        return window

    @property
    def regions(self) -> tuple[Region, ...]:
        """All regions, sorted by base address."""
        return tuple(self._regions)

    @property
    def ram(self) -> tuple[RamRegion, ...]:
        """The RAM regions."""
        return tuple(r for r in self._regions if isinstance(r, RamRegion))

    def find(self, address: int) -> Region | None:
        """The region containing ``address``, if any."""
        index = bisect.bisect_right(self._bases, address) - 1
        if index >= 0:
            region = self._regions[index]
            if address < region.base + region.size:
                return region
        return None

    def ram_at(self, address: int, length: int) -> RamRegion:
        """The RAM region holding all of [address, address + length), or an error naming why."""
        region = self.find(address)
        if not isinstance(region, RamRegion):
            what = f"device {region.name}" if region else "no memory"
            raise MemoryMapError(f"[{address:#x}, {address + length:#x}) is not RAM ({what})")
        if address + length > region.base + region.size:
            raise MemoryMapError(
                f"[{address:#x}, {address + length:#x}) runs past the end of {region.name} "
                f"at {region.base + region.size:#x}"
            )
        return region

    def write(self, address: int, data: bytes) -> None:
        """Store bytes into RAM at a physical address."""
        region = self.ram_at(address, len(data))
        region.write(address - region.base, data)

    def read(self, address: int, length: int) -> bytes:
        """Bytes of RAM at a physical address."""
        region = self.ram_at(address, length)
        return region.read(address - region.base, length)
