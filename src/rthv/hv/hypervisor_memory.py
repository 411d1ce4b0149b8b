"""The hypervisor's own memory: the top of board RAM, handing out pages for Stage-2 tables."""

from __future__ import annotations

from rthv.board.description import BoardDescription
from rthv.board.memory import PAGE_SIZE
from rthv.hv.stage2_descriptors import DESC_BYTES, PA_LIMIT, Stage2Error

HYPERVISOR_MEMORY_SIZE = 0x100000  # the hypervisor keeps the top MiB of the first RAM block


def hypervisor_memory(board: BoardDescription) -> tuple[int, int]:
    """[start, end) of the board RAM the hypervisor keeps for itself (its Stage-2 tables)."""
    end = board.ram[0].end
    return end - HYPERVISOR_MEMORY_SIZE, end


class HypervisorMemory:
    """Hypervisor-owned physical memory that hands out zeroed, aligned 4 KiB table pages."""

    def __init__(self, base_pa: int, size: int) -> None:
        if base_pa % PAGE_SIZE or size % PAGE_SIZE or size <= 0:
            raise Stage2Error(f"hypervisor memory {base_pa:#x}+{size:#x} is not page-granular")
        if base_pa < 0 or base_pa + size > PA_LIMIT:
            raise Stage2Error(f"hypervisor memory {base_pa:#x}+{size:#x} exceeds 40-bit PA")
        self.base_pa = base_pa
        self.size = size
        self.data = bytearray(size)
        self._next = base_pa
        self._free: list[int] = []

    def alloc_table(self, pages: int = 1) -> int:
        """Allocate `pages` contiguous zeroed pages aligned to their total size; return the PA."""
        if pages == 1 and self._free:
            return self._free.pop()
        span = pages * PAGE_SIZE
        start = -(-self._next // span) * span
        if start + span > self.base_pa + self.size:
            raise Stage2Error(f"hypervisor memory exhausted allocating {pages} table page(s)")
        self._free.extend(range(self._next, start, PAGE_SIZE))
        self._next = start + span
        return start

    def free_table(self, pa: int) -> None:
        """Return one table page, zeroing it."""
        off = self._offset(pa, PAGE_SIZE)
        self.data[off : off + PAGE_SIZE] = bytes(PAGE_SIZE)
        self._free.append(pa)

    def is_zero_page(self, pa: int) -> bool:
        """True if the table page at `pa` holds only invalid (zero) descriptors."""
        off = self._offset(pa, PAGE_SIZE)
        return not any(self.data[off : off + PAGE_SIZE])

    def read_u64(self, pa: int) -> int:
        """Read a little-endian 64-bit descriptor at `pa`."""
        off = self._offset(pa, DESC_BYTES)
        return int.from_bytes(self.data[off : off + DESC_BYTES], "little")

    def write_u64(self, pa: int, value: int) -> None:
        """Write a little-endian 64-bit descriptor at `pa`."""
        off = self._offset(pa, DESC_BYTES)
        self.data[off : off + DESC_BYTES] = value.to_bytes(DESC_BYTES, "little")

    def _offset(self, pa: int, length: int) -> int:
        if pa % length or not self.base_pa <= pa <= self.base_pa + self.size - length:
            raise Stage2Error(
                f"PA {pa:#x} is not an aligned {length}-byte slot in hypervisor memory"
            )
        return pa - self.base_pa
