"""Placing "auto" memory: every region and shared-memory object without a ``pa`` gets one.

First fit in board RAM, in configuration order, around what is fixed and around the memory the
hypervisor keeps for itself (``rthv.hv.hypervisor_memory.hypervisor_memory``).
"""

from __future__ import annotations

from rthv.board.description import BoardDescription
from rthv.board.memory import PAGE_SIZE
from rthv.hv.config.checks import describe_blocks
from rthv.hv.config.fields import ConfigError
from rthv.hv.config.model import Placements, SystemConfig
from rthv.hv.hypervisor_memory import hypervisor_memory
from rthv.hv.stage2_descriptors import LEVEL_SIZE

BLOCK_SIZE = LEVEL_SIZE[2]  # a Stage-2 level-2 block: auto placement aligns large regions to it


def place_memory(config: SystemConfig, board: BoardDescription) -> Placements:
    """Give every "auto" region a PA in board RAM: first fit, in config order, no overlaps."""
    requests: list[tuple[str, int, int | str, int]] = []
    for vm in config.vms:
        for index, region in enumerate(vm.memory):
            requests.append((f"{vm.label}.memory[{index}]", region.size, region.pa, region.ipa))
    for shm in config.shared_memory:
        requests.append((f'shared_memory "{shm.name}"', shm.size, shm.pa, shm.views[0].ipa))
    taken = [(pa, pa + size) for _, size, pa, _ in requests if isinstance(pa, int)]
    reserved = hypervisor_memory(board)
    for label, size, pa, _ in requests:
        if isinstance(pa, int) and pa < reserved[1] and reserved[0] < pa + size:
            raise ConfigError(
                f"{label}.pa: [{pa:#x}, {pa + size:#x}) overlaps the hypervisor's own memory "
                f"[{reserved[0]:#x}, {reserved[1]:#x})"
            )
    taken.append(reserved)
    chosen: list[int] = []
    for label, size, pa, ipa in requests:
        if not isinstance(pa, int):
            pa = _first_fit(board, taken, label, size, ipa)
            taken.append((pa, pa + size))
        chosen.append(pa)
    vm_memory: dict[str, tuple[int, ...]] = {}
    position = 0
    for vm in config.vms:
        vm_memory[vm.name] = tuple(chosen[position : position + len(vm.memory)])
        position += len(vm.memory)
    shared = {shm.name: pa for shm, pa in zip(config.shared_memory, chosen[position:], strict=True)}
    return Placements(vm_memory, shared)


def _first_fit(
    board: BoardDescription, taken: list[tuple[int, int]], label: str, size: int, ipa: int
) -> int:
    align = BLOCK_SIZE if size >= BLOCK_SIZE else PAGE_SIZE
    offset = ipa % align  # PA congruent to IPA: Stage 2 can then use block mappings
    for block in sorted(board.ram, key=lambda b: b.base):
        candidate = block.base + (offset - block.base) % align
        while candidate + size <= block.end:
            clash = min(
                (t for t in taken if t[0] < candidate + size and candidate < t[1]), default=None
            )
            if clash is None:
                return candidate
            candidate = clash[1] + (offset - clash[1]) % align
    raise ConfigError(
        f'{label}: no room left in board RAM for {size:#x} bytes (pa "auto"; '
        f"{describe_blocks(board, with_rom=False)})"
    )
