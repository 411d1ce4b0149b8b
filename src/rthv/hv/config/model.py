"""The configuration model: frozen pydantic models of every section, shapes and types only.

A field's one-line description here is its reference (docs/configuration.md repeats them).
Cross checks live in ``checks``, "auto" placement in ``placement``; ``load`` runs them in order
and records their results on the ``SystemConfig`` it returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cache, cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from rthv.board.description import BoardDescription, BoardError, load_board
from rthv.board.loader import Image, read_image
from rthv.board.memory import PAGE_SIZE
from rthv.board.timing import DEFAULT_PROFILE, TimingError, TimingProfile, cycles, profile
from rthv.hv.config.fields import (
    IPA_LIMIT,
    Address,
    ConfigError,
    Costs,
    Flag,
    Irq,
    Name,
    PhysAddress,
    Size,
    whole_number,
)
from rthv.hv.costs import CostTable
from rthv.hv.scheduling.errors import SchedulerPluginError
from rthv.hv.scheduling.registry import BUILTIN_POLICIES, PolicySpec, parse_policy_spec


def _base_dir(info: ValidationInfo) -> Path:
    """The folder relative paths are taken from: the config file's, else the working one."""
    base = info.context.get("base_dir") if isinstance(info.context, dict) else None
    return base if isinstance(base, Path) else Path()


@dataclass(frozen=True)
class Placements:
    """Physical addresses chosen for every VM memory region and shared-memory object."""

    vm_memory: Mapping[str, tuple[int, ...]]
    shared_memory: Mapping[str, int]

    def memory_pa(self, vm: str, index: int) -> int:
        """The physical base of ``vm``'s memory region number ``index``."""
        return self.vm_memory[vm][index]


@cache
def board_named(name: str) -> BoardDescription:
    """The shipped board ``name`` (loaded once)."""
    try:
        return load_board(name)
    except BoardError as error:
        raise ConfigError(f"board: {error}") from None


Perms = Literal["rwx", "rw", "rx", "r"]
FaultPolicy = Literal["stop", "inject", "restart"]


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
        return _base_dir(info) / str(value)

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


class LinuxBoot(_Model):
    """A Linux kernel that rthv boots directly, as a boot loader would (``rthv.hv.linux_boot``)."""

    kernel: Path = Field(description="The kernel's zImage, e.g. Debian's vmlinuz.")
    initrd: Path | None = Field(
        default=None, description="An initramfs (a gzip'd newc cpio) for the kernel to unpack."
    )
    bootargs: str | None = Field(
        default=None,
        description='The kernel command line; default "console=ttyAMA0 earlycon" when the VM '
        "has a console, else empty.",
    )

    @field_validator("kernel", "initrd", mode="before")
    @classmethod
    def _relative_to_config(cls, value: object, info: ValidationInfo) -> Path | None:
        if value is None:
            return None
        if not isinstance(value, str | Path) or not str(value):
            raise ValueError("must be a file path")
        return _base_dir(info) / str(value)


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
        default=(),
        alias="image",
        description="Images to load, [[vm.image]]; at least one, unless the VM boots Linux.",
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
    linux: LinuxBoot | None = Field(
        default=None,
        description="Boot a Linux kernel, [vm.linux], instead of [[vm.image]]: rthv places the "
        "kernel, initramfs and a generated device tree in the first RAM region.",
    )
    fault: FaultPolicy = Field(
        default="stop",
        description='What a fault of this VM does: "stop" it for good; "inject" the abort into '
        'the guest (its own handler decides); "restart" it from its images, peers untouched.',
    )
    fault_notify: int | None = Field(
        default=None,
        description="A [[notify]] channel from this VM, by id, that rthv raises when the VM "
        "faults (tells a supervising VM).",
    )

    @model_validator(mode="after")
    def _one_way_to_boot(self) -> VmConfig:
        if self.linux is None and not self.images:
            raise ValueError("a VM needs [[vm.image]] or [vm.linux]")
        if self.linux is not None and self.images:
            raise ValueError("[vm.linux] and [[vm.image]] exclude each other")
        if self.linux is not None and self.dtb:
            raise ValueError("dtb: a Linux VM always gets its device tree (at the top of its RAM)")
        return self

    @property
    def label(self) -> str:
        """How messages name this VM: ``vm "name"``."""
        return f'vm "{self.name}"'

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


Policy = Annotated[PolicySpec, PlainSerializer(lambda spec: spec.resolved())]


class SchedulerConfig(_Model):
    """The scheduling policy: a built-in one or a class from a Python file."""

    policy: Policy = Field(
        default=PolicySpec("round-robin"),
        description=f"One of {', '.join(BUILTIN_POLICIES)}, or "
        '"path/to/file.py:ClassName" (path relative to the config file).',
    )
    fallback: Policy | None = Field(
        default=None, description="Optional second policy, written like policy."
    )
    params: dict[str, Any] = Field(
        default_factory=dict, description="Policy-level keyword parameters, given to the policy."
    )

    @field_validator("policy", "fallback", mode="before")
    @classmethod
    def _parse_policy(cls, value: object, info: ValidationInfo) -> object:
        if value is None or isinstance(value, PolicySpec):
            return value
        if not isinstance(value, str):
            raise ValueError(f"must be a policy name, not {value!r}")
        try:
            return parse_policy_spec(value, base_dir=_base_dir(info))
        except SchedulerPluginError as error:
            raise ValueError(str(error)) from None


def _cpi(value: object) -> Fraction:
    try:
        number = cycles(value, "cpi")
    except TimingError as error:
        raise ValueError(str(error).removeprefix("cpi: ")) from None
    if number <= 0:
        raise ValueError(f"must be a number of cycles > 0, got {value!r}")
    return number


def _timing_name(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be a timing profile name, not {value!r}")
    try:
        profile(value)
    except TimingError as error:
        raise ValueError(str(error)) from None
    return value


class SystemConfig(_Model):
    """The whole system: board, timing, costs, scheduler, VMs, shared memory, notify channels."""

    board: str = Field(description='A shipped board, e.g. "vexpress-a15" or "virt".')
    cpu_hz: Annotated[int, PlainValidator(lambda v: whole_number(v, "a frequency in Hz", 1))] = (
        Field(default=1_000_000_000, description="CPU clock: cycles per second of virtual time.")
    )
    cpi: Annotated[
        Fraction,
        PlainValidator(_cpi),
        PlainSerializer(lambda c: c.numerator if c.denominator == 1 else str(c)),
    ] = Field(
        default=Fraction(1),
        description="Scale of every instruction weight: cycles per instruction in the "
        '"instruction-count" profile. A number > 0, fractions allowed (1.5, "3/2").',
    )
    timing: Annotated[str, PlainValidator(_timing_name)] = Field(
        default=DEFAULT_PROFILE,
        description='The timing profile (rthv.board.timing): "instruction-count", "cortex-a7" '
        'or "cortex-a15".',
    )
    weights: dict[str, Any] = Field(
        default_factory=dict,
        description="Overrides of the profile's instruction-class weights, by name, in cycles.",
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
    _images: dict[tuple[str, int], Image] = PrivateAttr(default_factory=dict)

    @property
    def timing_profile(self) -> TimingProfile:
        """The timing profile with this configuration's ``cpi`` and weight overrides."""
        return profile(self.timing, self.cpi, self.weights)

    @cached_property
    def board_description(self) -> BoardDescription:
        """The board this configuration runs on."""
        return board_named(self.board)

    def record_checked(self, images: dict[tuple[str, int], Image], placements: Placements) -> None:
        """Keep what loading found: the parsed images and the chosen physical addresses."""
        self._images = images
        self._placements = placements

    @property
    def placements(self) -> Placements:
        """The physical address of every VM memory region and shared-memory object."""
        if self._placements is None:
            raise RuntimeError("placements are computed when the configuration is loaded")
        return self._placements

    def image(self, vm: str, index: int) -> Image:
        """Image number ``index`` of ``vm``, as parsed (once) when the configuration was loaded."""
        return self._images[vm, index]

    def vm(self, name: str) -> VmConfig:
        """The VM called ``name``."""
        for vm in self.vms:
            if vm.name == name:
                return vm
        raise KeyError(name)
