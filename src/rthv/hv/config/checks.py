"""Cross checks of a system configuration: its consistency in itself and with the board.

``load`` runs ``check_system`` on a model that has passed its own field checks; the first
conflict is a ``ConfigError`` naming the field: ``vm "rtos-b".device "uart0": ...``. Images are
parsed here, once; the result goes with the configuration to the boot loader.
"""

from __future__ import annotations

from collections.abc import Iterable

from rthv.board.description import BoardDescription
from rthv.board.gic.regs import FIRST_SPI, GICC_WINDOW_SIZE, GICD_WINDOW_SIZE
from rthv.board.loader import Image, ImageError
from rthv.board.memory import PAGE_SIZE
from rthv.hv.config.fields import ConfigError
from rthv.hv.config.model import SystemConfig
from rthv.hv.config.vm_model import VmConfig
from rthv.hv.hypercalls import MAX_CHANNEL_ID
from rthv.hv.linux_boot import LinuxBootError, linux_layout, read_linux

Images = dict[tuple[str, int], Image]  # (vm name, image index) -> the parsed image
_Range = tuple[int, int, str]  # start, end (exclusive), what it is


def check_system(config: SystemConfig, board: BoardDescription) -> Images:
    """Raise ``ConfigError`` for the first conflict in ``config``; images are read last and
    returned."""
    _check_unique(config)
    for vm in config.vms:
        _check_vm(vm, board)
    _check_owners(config)
    _check_shared_memory(config, board)
    for vm in config.vms:
        _check_ipa_space(config, vm, board)
    _check_channels(config, board)
    _check_fault_notify(config)
    _check_physical(config)
    images: Images = {}
    for vm in config.vms:
        images.update(_check_images(vm))
        _check_linux(vm)
    return images


def _check_fault_notify(config: SystemConfig) -> None:
    for index, vm in enumerate(config.vms):
        wanted = vm.fault_notify
        if wanted is not None and not any(
            c.id == wanted and c.from_vm == vm.name for c in config.channels
        ):
            raise ConfigError(
                f"vm[{index}].fault_notify: no [[notify]] channel {wanted} from {vm.label}"
            )


def _span(start: int, end: int) -> str:
    return f"{start:#x}..{end:#x}"


def _first_duplicate(labels: Iterable[tuple[object, str]]) -> tuple[str, str] | None:
    seen: dict[object, str] = {}
    for key, label in labels:
        if key in seen:
            return label, seen[key]
        seen[key] = label
    return None


def _check_unique(config: SystemConfig) -> None:
    groups = [
        ("VM name", ((vm.name, f"vm[{i}].name") for i, vm in enumerate(config.vms))),
        (
            "shared-memory name",
            ((s.name, f"shared_memory[{i}].name") for i, s in enumerate(config.shared_memory)),
        ),
        (
            "channel name",
            ((c.name, f"notify[{i}].name") for i, c in enumerate(config.channels) if c.name),
        ),
        ("channel number", ((c.id, f"notify[{i}].id") for i, c in enumerate(config.channels))),
    ]
    for what, labels in groups:
        duplicate = _first_duplicate(labels)
        if duplicate:
            raise ConfigError(f"{duplicate[0]}: duplicate {what} (also {duplicate[1]})")


def _inside(blocks: Iterable[tuple[int, int]], start: int, end: int) -> bool:
    return any(base <= start and end <= limit for base, limit in blocks)


def describe_blocks(board: BoardDescription, with_rom: bool) -> str:
    """The board's RAM (and ROM) blocks, for a message: ``ram 0x80000000..0x90000000``."""
    blocks = [*board.ram, *(board.rom if with_rom else ())]
    return ", ".join(f"{b.name} {_span(b.base, b.end)}" for b in blocks)


def _spi_range(board: BoardDescription) -> range:
    return range(FIRST_SPI, board.gic.num_irqs)


def _check_vm(vm: VmConfig, board: BoardDescription) -> None:
    ram = [(b.base, b.end) for b in board.ram]
    rom = [(b.base, b.end) for b in board.rom]
    for index, region in enumerate(vm.memory):
        if region.pa == "auto":
            continue
        allowed = ram + rom if region.kind == "rom" else ram
        if not _inside(allowed, region.pa, region.pa + region.size):
            where = "board RAM or ROM" if region.kind == "rom" else "board RAM"
            blocks = describe_blocks(board, region.kind == "rom")
            raise ConfigError(
                f"{vm.label}.memory[{index}]: pa {_span(region.pa, region.pa + region.size)} "
                f"is outside {where} ({blocks})"
            )
    spis = _spi_range(board)
    seen: set[str] = set()
    for device in vm.devices:
        label = f'{vm.label}.device "{device.name}"'
        if device.name in seen:
            raise ConfigError(f"{label}: listed twice")
        seen.add(device.name)
        if device.ipa % PAGE_SIZE:
            raise ConfigError(f"{label}: ipa {device.ipa:#x} is not 4 KiB aligned")
        for irq in device.irqs:
            if irq not in spis:
                last = spis.stop - 1
                raise ConfigError(f"{label}: IRQ {irq} is outside the GIC's SPI range 32..{last}")
    if vm.console is not None:
        uarts = [d.name for d in vm.devices if board.device(d.name).is_uart]
        if vm.console not in uarts:
            mine = ", ".join(uarts) or "none"
            raise ConfigError(
                f'{vm.label}.console: "{vm.console}" is not one of this VM\'s UARTs ({mine})'
            )
    if vm.dtb and not any(region.kind == "ram" for region in vm.memory):
        raise ConfigError(f"{vm.label}.dtb: the VM has no RAM region to hold a device tree")


def _check_owners(config: SystemConfig) -> None:
    device_owner: dict[str, str] = {}
    irq_owner: dict[int, str] = {}
    for vm in config.vms:
        for device in vm.devices:
            label = f'{vm.label}.device "{device.name}"'
            if device.name in device_owner:
                raise ConfigError(f"{label}: already assigned to {device_owner[device.name]}")
            device_owner[device.name] = vm.label
            for irq in device.irqs:
                if irq in irq_owner:
                    raise ConfigError(f"{label}: IRQ {irq} is already routed to {irq_owner[irq]}")
                irq_owner[irq] = label


def _check_shared_memory(config: SystemConfig, board: BoardDescription) -> None:
    names = {vm.name for vm in config.vms}
    ram = [(b.base, b.end) for b in board.ram]
    for shm in config.shared_memory:
        label = f'shared_memory "{shm.name}"'
        if shm.pa != "auto" and not _inside(ram, shm.pa, shm.pa + shm.size):
            raise ConfigError(
                f"{label}: pa {_span(shm.pa, shm.pa + shm.size)} is outside board RAM "
                f"({describe_blocks(board, with_rom=False)})"
            )
        viewers: set[str] = set()
        for index, view in enumerate(shm.views):
            if view.vm not in names:
                raise ConfigError(f'{label}.view[{index}].vm: unknown VM "{view.vm}"')
            if view.vm in viewers:
                raise ConfigError(f'{label}.view[{index}]: vm "{view.vm}" already has a view')
            viewers.add(view.vm)


def _check_ipa_space(config: SystemConfig, vm: VmConfig, board: BoardDescription) -> None:
    gic = board.gic
    ranges: list[_Range] = [
        (gic.distributor, gic.distributor + GICD_WINDOW_SIZE, "the virtual GIC distributor"),
        (
            gic.cpu_interface,
            gic.cpu_interface + GICC_WINDOW_SIZE,
            "the virtual GIC CPU interface",
        ),
    ]
    for index, region in enumerate(vm.memory):
        ranges.append((region.ipa, region.end, f"{vm.label}.memory[{index}]"))
    for device in vm.devices:
        size = board.device(device.name).size
        ranges.append((device.ipa, device.ipa + size, f'{vm.label}.device "{device.name}"'))
    for shm in config.shared_memory:
        for index, view in enumerate(shm.views):
            if view.vm == vm.name:
                label = f'shared_memory "{shm.name}".view[{index}] ({vm.label})'
                ranges.append((view.ipa, view.ipa + shm.size, label))
    _no_overlap(ranges, "IPA")


def _no_overlap(ranges: list[_Range], space: str) -> None:
    for later, (start, end, label) in enumerate(ranges):
        for other_start, other_end, other in ranges[:later]:
            if start < other_end and other_start < end:
                raise ConfigError(
                    f"{label}: {space} {_span(start, end)} overlaps {other} "
                    f"({_span(other_start, other_end)})"
                )


def _check_channels(config: SystemConfig, board: BoardDescription) -> None:
    vms = {vm.name: vm for vm in config.vms}
    spis = _spi_range(board)
    for index, channel in enumerate(config.channels):
        label = f"notify[{index}]"
        for field, name in (("from", channel.from_vm), ("to", channel.to_vm)):
            if name not in vms:
                raise ConfigError(f'{label}.{field}: unknown VM "{name}"')
        if channel.from_vm == channel.to_vm:
            raise ConfigError(f'{label}: a VM cannot notify itself (from = to = "{channel.to_vm}")')
        if channel.id > MAX_CHANNEL_ID:
            raise ConfigError(
                f"{label}.id: {channel.id} is above {MAX_CHANNEL_ID:#x}, the largest channel id "
                "the notify hypercall takes"
            )
        if channel.virq not in spis:
            raise ConfigError(
                f"{label}.virq: {channel.virq} is outside the virtual GIC's SPI range "
                f"{FIRST_SPI}..{spis.stop - 1}"
            )
        receiver = vms[channel.to_vm]
        for device in receiver.devices:
            if channel.virq in device.irqs:
                raise ConfigError(
                    f"{label}.virq: {channel.virq} is already the passthrough IRQ of "
                    f'{receiver.label}.device "{device.name}"'
                )


def _check_physical(config: SystemConfig) -> None:
    ranges: list[_Range] = []
    for vm in config.vms:
        for index, region in enumerate(vm.memory):
            if region.pa != "auto":
                ranges.append((region.pa, region.pa + region.size, f"{vm.label}.memory[{index}]"))
    for shm in config.shared_memory:
        if shm.pa != "auto":
            ranges.append((shm.pa, shm.pa + shm.size, f'shared_memory "{shm.name}"'))
    _no_overlap(ranges, "pa")


def _check_images(vm: VmConfig) -> Images:
    regions = [(r.ipa, r.end) for r in vm.memory]
    loaded: list[_Range] = []
    images: Images = {}
    for index, spec in enumerate(vm.images):
        label = f"{vm.label}.image[{index}]"
        try:
            image = spec.read()
        except ImageError as error:
            raise ConfigError(f"{label}: {error}") from None
        images[vm.name, index] = image
        for segment in image.segments:
            start, end = segment.address, segment.address + segment.size
            if not _inside(regions, start, end):
                raise ConfigError(
                    f"{label}: segment {_span(start, end)} of {image.path.name} is outside "
                    "the VM's memory regions"
                )
            loaded.append((start, end, label))
        if index == 0:
            entry = (spec.start if spec.start is not None else image.entry) & ~1
            executable = [(r.ipa, r.end) for r in vm.memory if "x" in r.perms]
            if not _inside(executable, entry, entry + 1):
                raise ConfigError(f"{label}: entry {entry:#x} is not in executable VM memory")
    _no_overlap(loaded, "segment")
    return images


def _check_linux(vm: VmConfig) -> None:
    if vm.linux is None:
        return
    label = f"{vm.label}.linux"
    ram = next((r for r in vm.memory if r.kind == "ram"), None)
    if ram is None:
        raise ConfigError(f"{label}: the VM has no RAM region for the kernel")
    try:
        images = read_linux(vm.linux.kernel, vm.linux.initrd)
        linux_layout(ram.ipa, ram.size, len(images.kernel), len(images.initrd))
    except LinuxBootError as error:
        raise ConfigError(f"{label}: {error}") from None
