"""The configuration of one VM, ``[[vm]]``: its images, Linux boot, memory and devices.

Shapes and types only, like ``model`` (the system sections); a field's one-line description
here is its reference. The base of every section, ``Section``, and ``base_dir``, the folder
relative paths are taken from, are here too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from rthv.board.loader import Image, read_image
from rthv.board.memory import PAGE_SIZE
from rthv.hv.config.fields import (
    IPA_LIMIT,
    Address,
    Flag,
    Irq,
    Name,
    PhysAddress,
    Size,
)


class Section(BaseModel):
    """A configuration section: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def base_dir(info: ValidationInfo) -> Path:
    """The folder relative paths are taken from: the config file's, else the working one."""
    base = info.context.get("base_dir") if isinstance(info.context, dict) else None
    return base if isinstance(base, Path) else Path()


def _config_path(value: object, info: ValidationInfo) -> Path:
    """A file named in the configuration, relative to the config file's folder."""
    if not isinstance(value, str | Path) or not str(value):
        raise ValueError("must be a file path")
    return base_dir(info) / str(value)


Perms = Literal["rwx", "rw", "rx", "r"]
FaultPolicy = Literal["stop", "inject", "restart"]


class ImageConfig(Section):
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
        return _config_path(value, info)

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


class LinuxBoot(Section):
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
        return None if value is None else _config_path(value, info)


class MemoryRegion(Section):
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


class DeviceAssignment(Section):
    """A board device passed through to one VM: its MMIO page(s) and its physical IRQs."""

    name: str = Field(description="Name of a device of the board.")
    ipa: Address = Field(
        description="Where the VM sees the device; default: the device's physical base."
    )
    irqs: tuple[Irq, ...] = Field(
        description="Physical SPIs routed to this VM (virtual ID = physical ID); default: the "
        "board's IRQs of the device."
    )


class VmConfig(Section):
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
