"""Placing guest images into board memory before any VM runs: the boot loader's role."""

from __future__ import annotations

from rthv.board.loader import ImageError, Segment
from rthv.board.memory import PhysicalMemory
from rthv.hv.config import SystemConfig, VmConfig


def ipa_to_pa(config: SystemConfig, vm: VmConfig, ipa: int, length: int) -> int:
    """Where [ipa, ipa + length) of ``vm``'s RAM or ROM lies in board memory."""
    for index, region in enumerate(vm.memory):
        if region.ipa <= ipa and ipa + length <= region.end:
            return config.placements.memory_pa(vm.name, index) + (ipa - region.ipa)
    raise ImageError(f'vm "{vm.name}": [{ipa:#x}, {ipa + length:#x}) is not in its memory')


def place_images(config: SystemConfig, memory: PhysicalMemory) -> dict[str, int]:
    """Copy every VM's images to where its Stage-2 table will map them; returns entry points."""
    entries: dict[str, int] = {}
    for vm in config.vms:
        for number, image_config in enumerate(vm.images):
            image = image_config.read()
            for segment in image.segments:
                _place(config, vm, segment, memory)
            if number == 0:
                start = image_config.start
                entries[vm.name] = image.entry if start is None else start
    return entries


def _place(config: SystemConfig, vm: VmConfig, segment: Segment, memory: PhysicalMemory) -> None:
    pa = ipa_to_pa(config, vm, segment.address, segment.size)
    memory.write(pa, segment.data)
    fill = segment.size - len(segment.data)
    if fill:
        memory.write(pa + len(segment.data), bytes(fill))
