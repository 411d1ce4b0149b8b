"""Placing guest images into board memory before any VM runs: the boot loader's role."""

from __future__ import annotations

from dataclasses import dataclass, replace

from rthv.board.cpu import CpuCore
from rthv.board.description import BoardDescription
from rthv.board.devicetree import (
    FIRMWARE_FREE_SPACE,
    DeviceTreeSpec,
    GicSpec,
    MemoryRange,
    PsciSpec,
    TimerSpec,
    UartSpec,
    device_tree_blob,
)
from rthv.board.gic.regs import FIRST_SPI
from rthv.board.loader import ImageError, Segment
from rthv.board.memory import PhysicalMemory
from rthv.board.registers import Reg
from rthv.hv.config import SystemConfig, VmConfig
from rthv.hv.linux_boot import linux_layout, read_linux

# Firmware settings put in the tree's /config node: U-Boot goes straight to its prompt.
FIRMWARE_CONFIG: tuple[tuple[str, int | str], ...] = (("bootdelay", -1),)
LINUX_CONSOLE_BOOTARGS = "console=ttyAMA0 earlycon"


@dataclass(frozen=True)
class VmEntry:
    """How a VM's vCPU starts: PC (bit 0 set: Thumb) and r0-r2 (zero, except for Linux)."""

    pc: int
    arguments: tuple[int, int, int] = (0, 0, 0)


def enter(core: CpuCore, entry: VmEntry) -> None:
    """Point a vCPU in reset state at its entry, with r0-r2 as the boot protocol wants."""
    core.regs.branch(entry.pc, thumb=bool(entry.pc & 1))
    for reg, value in zip((Reg.R0, Reg.R1, Reg.R2), entry.arguments, strict=True):
        core.regs[reg] = value


def ipa_to_pa(config: SystemConfig, vm: VmConfig, ipa: int, length: int) -> int:
    """Where [ipa, ipa + length) of ``vm``'s RAM or ROM lies in board memory."""
    for index, region in enumerate(vm.memory):
        if region.ipa <= ipa and ipa + length <= region.end:
            return config.placements.memory_pa(vm.name, index) + (ipa - region.ipa)
    raise ImageError(f'vm "{vm.name}": [{ipa:#x}, {ipa + length:#x}) is not in its memory')


def place_images(config: SystemConfig, memory: PhysicalMemory) -> dict[str, VmEntry]:
    """Copy every VM's images to where its Stage-2 table will map them; returns entry states."""
    return {vm.name: place_vm_images(config, vm, memory) for vm in config.vms}


def place_vm_images(config: SystemConfig, vm: VmConfig, memory: PhysicalMemory) -> VmEntry:
    """Copy one VM's images (and its device tree) into board memory; returns its entry state."""
    if vm.linux is not None:
        return _place_linux(config, vm, memory)
    entry = 0
    for number, image_config in enumerate(vm.images):
        image = config.image(vm.name, number)
        for segment in image.segments:
            _place(config, vm, segment, memory)
        if number == 0:
            start = image_config.start
            entry = image.entry if start is None else start
    if vm.dtb:
        ram = next(region for region in vm.memory if region.kind == "ram")
        spec = vm_device_tree(vm, config.board_description)
        blob = device_tree_blob(spec, free_space=FIRMWARE_FREE_SPACE)
        memory.write(ipa_to_pa(config, vm, ram.ipa, len(blob)), blob)
    return VmEntry(entry)


def _place_linux(config: SystemConfig, vm: VmConfig, memory: PhysicalMemory) -> VmEntry:
    """The Linux boot protocol: zImage, initramfs and device tree in the first RAM region."""
    assert vm.linux is not None
    images = read_linux(vm.linux.kernel, vm.linux.initrd)
    ram = next(region for region in vm.memory if region.kind == "ram")
    layout = linux_layout(ram.ipa, ram.size, len(images.kernel), len(images.initrd))
    spec = linux_device_tree(vm, config.board_description, layout.initrd)
    blob = device_tree_blob(spec)
    for ipa, data in ((layout.kernel, images.kernel), (layout.dtb, blob)):
        memory.write(ipa_to_pa(config, vm, ipa, len(data)), data)
    if layout.initrd is not None:
        start = layout.initrd[0]
        memory.write(ipa_to_pa(config, vm, start, len(images.initrd)), images.initrd)
    return VmEntry(layout.kernel, layout.registers)


def linux_device_tree(
    vm: VmConfig, board: BoardDescription, initrd: tuple[int, int] | None
) -> DeviceTreeSpec:
    """A Linux VM's tree: its own devices, PSCI through HVC, command line and initramfs."""
    assert vm.linux is not None
    bootargs = vm.linux.bootargs
    if bootargs is None:
        bootargs = LINUX_CONSOLE_BOOTARGS if vm.console is not None else ""
    return replace(
        vm_device_tree(vm, board),
        firmware_config=(),
        psci=PsciSpec("hvc"),
        bootargs=bootargs,
        initrd=None if initrd is None else MemoryRange(initrd[0], initrd[1] - initrd[0]),
    )


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
