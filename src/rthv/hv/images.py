"""Placing guest images into board memory before any VM runs: the boot loader's role."""

from __future__ import annotations

from rthv.board.description import BoardDescription
from rthv.board.devicetree import (
    DeviceTreeSpec,
    GicSpec,
    MemoryRange,
    TimerSpec,
    UartSpec,
    device_tree_blob,
)
from rthv.board.gic.regs import FIRST_SPI
from rthv.board.loader import ImageError, Segment
from rthv.board.memory import PhysicalMemory
from rthv.hv.config import SystemConfig, VmConfig

# Firmware settings put in the tree's /config node: U-Boot goes straight to its prompt.
FIRMWARE_CONFIG: tuple[tuple[str, int | str], ...] = (("bootdelay", -1),)


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
            image = config.image(vm.name, number)
            for segment in image.segments:
                _place(config, vm, segment, memory)
            if number == 0:
                start = image_config.start
                entries[vm.name] = image.entry if start is None else start
        if vm.dtb:
            ram = next(region for region in vm.memory if region.kind == "ram")
            blob = device_tree_blob(vm_device_tree(vm, config.board_description))
            memory.write(ipa_to_pa(config, vm, ram.ipa, len(blob)), blob)
    return entries


def vm_device_tree(vm: VmConfig, board: BoardDescription) -> DeviceTreeSpec:
    """The tree a VM's firmware reads: only its own RAM, UARTs, GIC and timer."""
    own_uarts = [device for device in vm.devices if board.device(device.name).is_uart]
    uarts = tuple(
        UartSpec(device.ipa, device.irqs[0] - FIRST_SPI if device.irqs else None)
        for device in own_uarts
    )
    names = [device.name for device in own_uarts]
    return DeviceTreeSpec(
        memory=tuple(MemoryRange(r.ipa, r.size) for r in vm.memory if r.kind == "ram"),
        gic=GicSpec(board.gic.distributor, board.gic.cpu_interface),
        uarts=uarts,
        timer=TimerSpec.of(board.generic_timer),
        stdout_uart=names.index(vm.console) if vm.console in names else None,
        firmware_config=FIRMWARE_CONFIG,
    )


def _place(config: SystemConfig, vm: VmConfig, segment: Segment, memory: PhysicalMemory) -> None:
    pa = ipa_to_pa(config, vm, segment.address, segment.size)
    memory.write(pa, segment.data)
    fill = segment.size - len(segment.data)
    if fill:
        memory.write(pa + len(segment.data), bytes(fill))
