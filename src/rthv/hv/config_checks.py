"""Checks of a system configuration: its values, its consistency with the board, "auto" placement.

Everything here runs while ``SystemConfig`` is validated, so a configuration that exists has
passed all of it. Messages name the field: ``vm "rtos-b".device "uart0": ...``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import PlainSerializer, PlainValidator

from rthv.board.description import BoardDescription, BoardError, load_board
from rthv.board.loader import ImageError
from rthv.hv.costs import CostError, CostTable

if TYPE_CHECKING:
    from rthv.hv.config import SystemConfig, VmConfig

PAGE_SIZE = 0x1000
IPA_LIMIT = 1 << 32  # guests are 32-bit ARMv7: their IPA space is the 4 GiB they can address
BLOCK_SIZE = 0x200000  # a Stage-2 level-2 block: auto placement aligns large regions to it
VGIC_DISTRIBUTOR_SIZE = 0x1000  # GICv2 distributor register page
VGIC_CPU_INTERFACE_SIZE = 0x2000  # GICv2 CPU interface: two pages (GICC_DIR at 0x1000)
FIRST_SPI = 32

_Range = tuple[int, int, str]  # start, end (exclusive), what it is


MAX_CHANNEL_ID = 0xFFFF  # the notify hypercall's channel argument (docs/hypercalls.md)
HYPERVISOR_MEMORY_SIZE = 0x100000  # the hypervisor keeps the top MiB of the first RAM block


def hypervisor_memory(board: BoardDescription) -> tuple[int, int]:
    """[start, end) of the board RAM the hypervisor keeps for itself (its Stage-2 tables)."""
    end = board.ram[0].end
    return end - HYPERVISOR_MEMORY_SIZE, end


class ConfigError(ValueError):
    """A configuration that cannot run, with a one-line message naming the field."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.splitlines()))


_SIZE_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
_SIZE = re.compile(r"^\s*(\d+)\s*([KMG]?)(?:i?B)?\s*$", re.IGNORECASE)
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def whole_number(value: object, what: str, minimum: int = 0) -> int:
    """``value`` if it is an integer (not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"must be {what}, not {value!r}")
    if value < minimum:
        raise ValueError(f"must be {what} >= {minimum}, got {value}")
    return value


def _address(value: object) -> int:
    return whole_number(value, "an integer address")


def _phys_address(value: object) -> int | Literal["auto"]:
    if value == "auto":
        return "auto"
    if isinstance(value, str):
        raise ValueError(f'must be an integer address or "auto", not {value!r}')
    return _address(value)


def _size(value: object) -> int:
    if isinstance(value, str):
        match = _SIZE.match(value)
        if match is None:
            raise ValueError(f"bad size {value!r}: use bytes or a number with K, M or G")
        size = int(match.group(1)) * _SIZE_UNITS[match.group(2).upper()]
    elif isinstance(value, int) and not isinstance(value, bool):
        size = value
    else:
        raise ValueError(f'must be a size in bytes or a string like "16M", not {value!r}')
    if size <= 0 or size % PAGE_SIZE:
        raise ValueError(f"size {size:#x} is not a positive multiple of 4 KiB")
    return size


def _name(value: object) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise ValueError(f"{value!r} is not a simple name (letter, then letters, digits, - or _)")
    return value


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, not {value!r}")
    return value


def _costs(value: object) -> CostTable:
    if isinstance(value, CostTable):
        return value
    if not isinstance(value, dict):
        raise ValueError("must be a table of cost names to cycles")
    try:
        return CostTable().with_overrides(value)
    except CostError as error:
        raise ConfigError(f"costs.{error.key}: {error.reason}") from None


Address = Annotated[int, PlainValidator(_address)]
PhysAddress = Annotated[int | Literal["auto"], PlainValidator(_phys_address)]
Size = Annotated[int, PlainValidator(_size)]
Name = Annotated[str, PlainValidator(_name)]
Irq = Annotated[int, PlainValidator(lambda v: whole_number(v, "an interrupt ID"))]
Flag = Annotated[bool, PlainValidator(_flag)]
Costs = Annotated[CostTable, PlainValidator(_costs), PlainSerializer(lambda c: c.as_dict())]


@dataclass(frozen=True)
class Placements:
    """Physical addresses chosen for every VM memory region and shared-memory object."""

    vm_memory: Mapping[str, tuple[int, ...]]
    shared_memory: Mapping[str, int]

    def memory_pa(self, vm: str, index: int) -> int:
        """The physical base of ``vm``'s memory region number ``index``."""
        return self.vm_memory[vm][index]


@functools.cache
def board_named(name: str) -> BoardDescription:
    """The shipped board ``name`` (loaded once)."""
    try:
        return load_board(name)
    except BoardError as error:
        raise ConfigError(f"board: {error}") from None


def check_system(config: SystemConfig, board: BoardDescription) -> None:
    """Raise ``ConfigError`` for the first conflict in ``config``; images are read last."""
    _check_unique(config)
    for vm in config.vms:
        _check_vm(vm, board)
    _check_owners(config)
    _check_shared_memory(config, board)
    for vm in config.vms:
        _check_ipa_space(config, vm, board)
    _check_channels(config, board)
    _check_physical(config)
    for vm in config.vms:
        _check_images(vm)


def _vm(vm: VmConfig) -> str:
    return f'vm "{vm.name}"'


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


def _describe_blocks(board: BoardDescription, with_rom: bool) -> str:
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
            blocks = _describe_blocks(board, region.kind == "rom")
            raise ConfigError(
                f"{_vm(vm)}.memory[{index}]: pa {_span(region.pa, region.pa + region.size)} "
                f"is outside {where} ({blocks})"
            )
    spis = _spi_range(board)
    seen: set[str] = set()
    for device in vm.devices:
        label = f'{_vm(vm)}.device "{device.name}"'
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
        uarts = [d.name for d in vm.devices if board.device(d.name).kind == "pl011"]
        if vm.console not in uarts:
            mine = ", ".join(uarts) or "none"
            raise ConfigError(
                f'{_vm(vm)}.console: "{vm.console}" is not one of this VM\'s UARTs ({mine})'
            )
    if vm.dtb and not any(region.kind == "ram" for region in vm.memory):
        raise ConfigError(f"{_vm(vm)}.dtb: the VM has no RAM region to hold a device tree")


def _check_owners(config: SystemConfig) -> None:
    device_owner: dict[str, str] = {}
    irq_owner: dict[int, str] = {}
    for vm in config.vms:
        for device in vm.devices:
            label = f'{_vm(vm)}.device "{device.name}"'
            if device.name in device_owner:
                raise ConfigError(f"{label}: already assigned to {device_owner[device.name]}")
            device_owner[device.name] = _vm(vm)
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
                f"({_describe_blocks(board, with_rom=False)})"
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
        (gic.distributor, gic.distributor + VGIC_DISTRIBUTOR_SIZE, "the virtual GIC distributor"),
        (
            gic.cpu_interface,
            gic.cpu_interface + VGIC_CPU_INTERFACE_SIZE,
            "the virtual GIC CPU interface",
        ),
    ]
    for index, region in enumerate(vm.memory):
        ranges.append((region.ipa, region.end, f"{_vm(vm)}.memory[{index}]"))
    for device in vm.devices:
        size = board.device(device.name).size
        ranges.append((device.ipa, device.ipa + size, f'{_vm(vm)}.device "{device.name}"'))
    for shm in config.shared_memory:
        for index, view in enumerate(shm.views):
            if view.vm == vm.name:
                label = f'shared_memory "{shm.name}".view[{index}] ({_vm(vm)})'
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
                    f'{_vm(receiver)}.device "{device.name}"'
                )


def _check_physical(config: SystemConfig) -> None:
    ranges: list[_Range] = []
    for vm in config.vms:
        for index, region in enumerate(vm.memory):
            if region.pa != "auto":
                ranges.append((region.pa, region.pa + region.size, f"{_vm(vm)}.memory[{index}]"))
    for shm in config.shared_memory:
        if shm.pa != "auto":
            ranges.append((shm.pa, shm.pa + shm.size, f'shared_memory "{shm.name}"'))
    _no_overlap(ranges, "pa")


def _check_images(vm: VmConfig) -> None:
    regions = [(r.ipa, r.end) for r in vm.memory]
    loaded: list[_Range] = []
    for index, spec in enumerate(vm.images):
        label = f"{_vm(vm)}.image[{index}]"
        try:
            image = spec.read()
        except ImageError as error:
            raise ConfigError(f"{label}: {error}") from None
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


def place_memory(config: SystemConfig, board: BoardDescription) -> Placements:
    """Give every "auto" region a PA in board RAM: first fit, in config order, no overlaps."""
    requests: list[tuple[str, int, int | str, int]] = []
    for vm in config.vms:
        for index, region in enumerate(vm.memory):
            requests.append((f"{_vm(vm)}.memory[{index}]", region.size, region.pa, region.ipa))
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
        f"{_describe_blocks(board, with_rom=False)})"
    )
