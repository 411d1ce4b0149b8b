"""The hypervisor's own memory: page-granular, aligned table pages, reused once freed."""

from __future__ import annotations

import pytest

from rthv.board.description import load_board
from rthv.hv.hypervisor_memory import HYPERVISOR_MEMORY_SIZE, HypervisorMemory, hypervisor_memory
from rthv.hv.stage2_descriptors import Stage2Error

BASE = 0xF000_0000
PAGE = 0x1000


def test_the_hypervisor_keeps_the_top_of_the_first_ram_block() -> None:
    """The last MiB of the board's first RAM block."""
    board = load_board("vexpress-a15")
    start, end = hypervisor_memory(board)
    assert (end, end - start) == (board.ram[0].end, HYPERVISOR_MEMORY_SIZE)


def test_tables_are_aligned_to_their_size_and_freed_pages_come_back_zeroed() -> None:
    """A 4-page table is 16 KiB aligned; the page skipped for that is handed out next."""
    memory = HypervisorMemory(BASE, 16 * PAGE)
    first = memory.alloc_table()
    big = memory.alloc_table(4)
    assert (first, big) == (BASE, BASE + 4 * PAGE)
    gap = memory.alloc_table()
    assert gap in range(BASE + PAGE, BASE + 4 * PAGE, PAGE)
    memory.write_u64(first + 8, 0x1234_5678_9ABC_DEF0)
    assert memory.read_u64(first + 8) == 0x1234_5678_9ABC_DEF0 and not memory.is_zero_page(first)
    memory.free_table(first)
    assert memory.is_zero_page(first)


def test_misuse_is_refused_with_a_stage2_error() -> None:
    """Not page granular, exhausted, or a descriptor slot outside or misaligned."""
    with pytest.raises(Stage2Error, match="not page-granular"):
        HypervisorMemory(BASE + 1, PAGE)
    memory = HypervisorMemory(BASE, 2 * PAGE)
    with pytest.raises(Stage2Error, match="exhausted allocating 4 table page"):
        memory.alloc_table(4)
    with pytest.raises(Stage2Error, match="not an aligned 8-byte slot"):
        memory.read_u64(BASE + 4)
    with pytest.raises(Stage2Error, match="not an aligned 8-byte slot"):
        memory.write_u64(BASE + 2 * PAGE, 0)
