"""The system configuration: one TOML file, validated in full before anything runs.

``parse_config``/``load_config`` read the file into frozen models (shape and types), fill the
defaults that come from the board (device addresses and IRQs), then run the cross checks of
``config_checks`` (overlaps, ownership, IRQs, images) and place ``"auto"`` memory. Any problem
is a ``ConfigError`` whose one-line message names the field. ``docs/configuration.md`` is the
reference for every field.
"""

from __future__ import annotations

import tomllib
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from rthv.board.description import BoardDescription, BoardError
from rthv.board.loader import Image, read_image
from rthv.hv.config_checks import (
    IPA_LIMIT,
    PAGE_SIZE,
    Address,
    ConfigError,
    Costs,
    Flag,
    Irq,
    Name,
    PhysAddress,
    Placements,
    Size,
    board_named,
    check_system,
    place_memory,
    whole_number,
)
from rthv.hv.costs import CostTable

__all__ = [
    "BUILTIN_POLICIES",
    "ConfigError",
    "DeviceAssignment",
    "ImageConfig",
    "MemoryRegion",
    "NotifyChannel",
    "Placements",
    "SchedulerConfig",
    "SharedMemory",
    "SharedMemoryView",
    "SystemConfig",
    "VmConfig",
    "load_config",
    "parse_config",
    "place_memory",
]

BUILTIN_POLICIES = ("round-robin", "fixed-priority", "edf", "rtds", "arinc653")


def _resolve(path: str, info: ValidationInfo) -> Path:
    base = info.context.get("base_dir") if isinstance(info.context, dict) else None
    resolved = Path(path)
    return base / resolved if isinstance(base, Path) and not resolved.is_absolute() else resolved


Perms = Literal["rwx", "rw", "rx", "r"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ImageConfig(_Model):
    """One image loaded into a VM before it starts: an ELF, or a raw binary at ``load_ipa``."""

    path: Path = Field(description="Image file; relative paths are relative to the config file.")
    load_ipa: Address | None = Field(
        default=None,
        description="Load address (IPA) of a raw binary; when absent the file must be an ELF "
        "whose segments are placed at their physical addresses (the IPAs the guest runs at).",
    )
    entry: Address | None = Field(
        default=None,
        description="Entry point override (bit 0 set: Thumb). Default: the ELF entry, or "
        "load_ipa for a raw binary. The VM starts at the entry of its first image.",
    )

    @field_validator("path", mode="before")
    @classmethod
    def _relative_to_config(cls, value: object, info: ValidationInfo) -> Path:
        if not isinstance(value, str | Path) or not str(value):
            raise ValueError("must be a file path")
        return _resolve(str(value), info)

    @model_validator(mode="after")
    def _raw_needs_address(self) -> ImageConfig:
        if self.path.suffix == ".bin" and self.load_ipa is None:
            raise ValueError(f"{self.path.name}: a raw binary (.bin) needs load_ipa")
        return self

    def read(self) -> Image:
        """Parse the image file (``ImageError`` if it is missing or bad)."""
        return read_image(self.path, load_address=self.load_ipa)

    @property
    def start(self) -> int | None:
        """The entry override, else the raw binary's load address, else None (use the ELF's)."""
        return self.entry if self.entry is not None else self.load_ipa


class MemoryRegion(_Model):
    """A RAM or ROM region of a VM: where it appears (IPA) and where it lives (PA)."""

    ipa: Address = Field(description="Guest-physical base address, 4 KiB aligned.")
    size: Size = Field(description='Bytes, a multiple of 4 KiB; an integer or "64K", "16M", "1G".')
    pa: PhysAddress = Field(
        default="auto",
        description="Physical base inside board RAM (a ROM region may also use board ROM), or "
        '"auto" to let the hypervisor place it (first fit, in config order).',
    )
    perms: Perms = Field(
        default="rwx",
        description='Stage-2 permissions: "rwx", "rw", "rx" or "r"; default "rwx" ("rx" for ROM).',
    )
    kind: Literal["ram", "rom"] = Field(
        default="ram",
        description='"ram", or "rom": read/execute only, guest writes ignored (firmware flash).',
    )

    @model_validator(mode="before")
    @classmethod
    def _rom_defaults_to_rx(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("kind") == "rom" and "perms" not in data:
            return {**data, "perms": "rx"}
        return data

    @model_validator(mode="after")
    def _aligned(self) -> MemoryRegion:
        if self.ipa % PAGE_SIZE:
            raise ValueError(f"ipa {self.ipa:#x} is not 4 KiB aligned")
        if self.ipa + self.size > IPA_LIMIT:
            raise ValueError(
                f"ipa {self.ipa:#x} + size {self.size:#x} is beyond the 4 GiB IPA space"
            )
        if self.pa != "auto" and self.pa % PAGE_SIZE:
            raise ValueError(f"pa {self.pa:#x} is not 4 KiB aligned")
        if self.kind == "rom" and "w" in self.perms:
            raise ValueError(f'a rom region cannot be writable (perms "{self.perms}")')
        return self

    @property
    def end(self) -> int:
        """First IPA past the region."""
        return self.ipa + self.size


class DeviceAssignment(_Model):
    """A board device passed through to one VM: its MMIO page(s) and its physical IRQs."""

    name: str = Field(description="Name of a device of the board.")
    ipa: Address = Field(
        description="Where the VM sees the device; default: the device's physical base."
    )
    irqs: tuple[Irq, ...] = Field(
        description="Physical SPIs routed to this VM (virtual ID = physical ID); default: the "
        "board's IRQs of the device."
    )


class VmConfig(_Model):
    """One virtual machine: its images, memory, devices, console and scheduling parameters."""

    name: Name = Field(description="Unique name: a letter, then letters, digits, - or _.")
    images: tuple[ImageConfig, ...] = Field(
        alias="image", min_length=1, description="Images to load, [[vm.image]]; at least one."
    )
    memory: tuple[MemoryRegion, ...] = Field(
        min_length=1, description="RAM/ROM regions, [[vm.memory]]; at least one."
    )
    devices: tuple[DeviceAssignment, ...] = Field(
        default=(), alias="device", description="Passthrough devices, [[vm.device]]."
    )
    console: str | None = Field(
        default=None, description="Name of one of this VM's passthrough UARTs (pl011)."
    )
    dtb: Flag = Field(
        default=False, description="Generate a device tree for the VM at the start of its RAM."
    )
    sched: dict[str, Any] = Field(
        default_factory=dict,
        description="Scheduling parameters (priority, period_us, budget_us, quantum_us, ...), "
        "passed to the scheduler policy, which validates them.",
    )

    def device(self, name: str) -> DeviceAssignment | None:
        """The passthrough device called ``name``, if this VM has it."""
        return next((d for d in self.devices if d.name == name), None)


class SharedMemoryView(_Model):
    """Where one VM sees a shared-memory object, and with which rights."""

    vm: str = Field(description="Name of the VM.")
    ipa: Address = Field(description="Guest-physical base of the view, 4 KiB aligned.")
    perms: Literal["rw", "r"] = Field(default="rw", description='"rw" or "r"; never executable.')

    @model_validator(mode="after")
    def _aligned(self) -> SharedMemoryView:
        if self.ipa % PAGE_SIZE:
            raise ValueError(f"ipa {self.ipa:#x} is not 4 KiB aligned")
        return self


class SharedMemory(_Model):
    """A shared-memory object: pages of board RAM mapped into several VMs at fixed IPAs."""

    name: Name = Field(description="Unique name of the object.")
    size: Size = Field(description="Bytes, a multiple of 4 KiB.")
    pa: PhysAddress = Field(default="auto", description='Physical base in board RAM, or "auto".')
    views: tuple[SharedMemoryView, ...] = Field(
        alias="view", min_length=1, description="One view per VM, [[shared_memory.view]]."
    )

    @model_validator(mode="after")
    def _aligned(self) -> SharedMemory:
        if self.pa != "auto" and self.pa % PAGE_SIZE:
            raise ValueError(f"pa {self.pa:#x} is not 4 KiB aligned")
        for index, view in enumerate(self.views):
            if view.ipa + self.size > IPA_LIMIT:
                raise ValueError(f"view[{index}] ends beyond the 4 GiB IPA space")
        return self


class NotifyChannel(_Model):
    """A notify channel: a hypercall by ``from`` with this ``id`` raises ``virq`` in ``to``."""

    name: Name | None = Field(default=None, description="Optional unique name.")
    from_vm: str = Field(alias="from", description="The VM allowed to notify.")
    to_vm: str = Field(alias="to", description="The VM that receives the virtual IRQ.")
    virq: Irq = Field(description="Virtual SPI raised in the receiver (32 .. GIC IRQs - 1).")
    id: Annotated[int, PlainValidator(lambda v: whole_number(v, "a channel number"))] = Field(
        description="Channel number the sender passes to the notify hypercall; default: the "
        "channel's index in the [[notify]] list."
    )


class SchedulerConfig(_Model):
    """The scheduling policy: a built-in one or a class from a Python file."""

    policy: str = Field(
        default="round-robin",
        description=f"One of {', '.join(BUILTIN_POLICIES)}, or "
        '"path/to/file.py:ClassName" (path relative to the config file).',
    )
    fallback: str | None = Field(
        default=None, description="Optional second policy, written like policy."
    )
    params: dict[str, Any] = Field(
        default_factory=dict, description="Policy-level keyword parameters, given to the policy."
    )

    @field_validator("policy", "fallback", mode="before")
    @classmethod
    def _known_policy(cls, value: object, info: ValidationInfo) -> object:
        if value is None or value in BUILTIN_POLICIES:
            return value
        if not isinstance(value, str):
            raise ValueError(f"must be a policy name, not {value!r}")
        file, colon, class_name = value.rpartition(":")
        if not colon or not file.endswith(".py") or not class_name.isidentifier():
            raise ValueError(
                f'unknown policy "{value}": use one of {", ".join(BUILTIN_POLICIES)} '
                'or "path/to/file.py:ClassName"'
            )
        path = _resolve(file, info)
        if not path.is_file():
            raise ValueError(f"policy file {path}: no such file")
        return f"{path}:{class_name}"

    @property
    def custom_policy(self) -> tuple[Path, str] | None:
        """(file, class name) of a user policy, or None for a built-in one."""
        if self.policy in BUILTIN_POLICIES:
            return None
        file, _, class_name = self.policy.rpartition(":")
        return Path(file), class_name


class SystemConfig(_Model):
    """The whole system: board, timing, costs, scheduler, VMs, shared memory, notify channels."""

    board: str = Field(description='A shipped board, e.g. "vexpress-a15" or "virt".')
    cpu_hz: Annotated[int, PlainValidator(lambda v: whole_number(v, "a frequency in Hz", 1))] = (
        Field(default=1_000_000_000, description="CPU clock: cycles per second of virtual time.")
    )
    cpi: Annotated[int, PlainValidator(lambda v: whole_number(v, "cycles per instruction", 1))] = (
        Field(default=1, description="Cycles charged per guest instruction.")
    )
    costs: Costs = Field(
        default_factory=CostTable,
        description="Overrides of the hypervisor cost table (rthv.hv.costs), by name, in cycles.",
    )
    scheduler: SchedulerConfig = Field(
        default_factory=SchedulerConfig, description="The scheduling policy, [scheduler]."
    )
    vms: tuple[VmConfig, ...] = Field(alias="vm", min_length=1, description="The VMs, [[vm]].")
    shared_memory: tuple[SharedMemory, ...] = Field(
        default=(), description="Shared-memory objects, [[shared_memory]]."
    )
    channels: tuple[NotifyChannel, ...] = Field(
        default=(), alias="notify", description="Notify channels, [[notify]]."
    )
    _placements: Placements | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _board_defaults(cls, data: Any) -> Any:
        return _fill_board_defaults(data)

    @model_validator(mode="after")
    def _consistent(self) -> SystemConfig:
        board = self.board_description
        check_system(self, board)
        self._placements = place_memory(self, board)
        return self

    @cached_property
    def board_description(self) -> BoardDescription:
        """The board this configuration runs on."""
        return board_named(self.board)

    @property
    def placements(self) -> Placements:
        """The physical address of every VM memory region and shared-memory object."""
        if self._placements is None:
            raise RuntimeError("placements are computed while the configuration is validated")
        return self._placements

    def vm(self, name: str) -> VmConfig:
        """The VM called ``name``."""
        for vm in self.vms:
            if vm.name == name:
                return vm
        raise KeyError(name)


def _fill_board_defaults(data: Any) -> Any:
    """Raw TOML data with device addresses/IRQs from the board and channel ids filled in."""
    if not isinstance(data, dict) or not isinstance(data.get("board"), str):
        return data
    board = board_named(data["board"])
    data = dict(data)
    if isinstance(data.get("vm"), list | tuple):
        data["vm"] = [_fill_devices(board, index, vm) for index, vm in enumerate(data["vm"])]
    if isinstance(data.get("notify"), list | tuple):
        data["notify"] = [
            {"id": index, **channel} if isinstance(channel, dict) else channel
            for index, channel in enumerate(data["notify"])
        ]
    return data


def _fill_devices(board: BoardDescription, index: int, vm: Any) -> Any:
    if not isinstance(vm, dict) or not isinstance(vm.get("device"), list | tuple):
        return vm
    vm_label = f'vm "{vm["name"]}"' if isinstance(vm.get("name"), str) else f"vm[{index}]"
    devices = []
    for device in vm["device"]:
        if isinstance(device, dict) and isinstance(device.get("name"), str):
            try:
                found = board.device(device["name"])
            except BoardError:
                known = ", ".join(d.name for d in board.devices)
                label = f'{vm_label}.device "{device["name"]}"'
                raise ConfigError(f"{label}: unknown device; {board.name} has {known}") from None
            device = {"ipa": found.base, "irqs": list(found.irqs), **device}
        devices.append(device)
    return {**vm, "device": devices}


def parse_config(text: str, base_dir: Path, *, source: str = "<config>") -> SystemConfig:
    """Validate a configuration written in TOML; relative paths are taken from ``base_dir``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{source}: TOML syntax error: {error}") from None
    try:
        return SystemConfig.model_validate(data, context={"base_dir": base_dir.absolute()})
    except ValidationError as error:
        raise ConfigError(f"{source}: {_describe(error)}") from None


def load_config(path: Path) -> SystemConfig:
    """Read and validate the configuration file at ``path``."""
    try:
        text = path.read_text()
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
    return parse_config(text, path.parent, source=str(path))


_PLAIN_MESSAGES = {"extra_forbidden": "unknown field", "missing": "missing required field"}


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, ConfigError):
        return str(cause)
    what = str(cause) if isinstance(cause, Exception) else first["msg"]
    what = _PLAIN_MESSAGES.get(first["type"], what)
    where = _field_path(first["loc"])
    return f"{where}: {what}" if where else what


def _field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path
