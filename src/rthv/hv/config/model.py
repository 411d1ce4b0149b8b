"""The configuration model: frozen pydantic models of the system sections, shapes and types only.

A VM's own sections (``[[vm]]``) are in ``vm_model``. A field's one-line description here is its
reference (docs/configuration.md repeats them). Cross checks live in ``checks``, "auto" placement
in ``placement``; ``load`` runs them in order and records their results on the ``SystemConfig``
it returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import cache, cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    PlainSerializer,
    PlainValidator,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from rthv.board.clock import MAX_FREQUENCY_HZ
from rthv.board.description import BoardDescription, BoardError, load_board
from rthv.board.loader import Image
from rthv.board.memory import PAGE_SIZE
from rthv.board.timing import DEFAULT_PROFILE, TimingError, TimingProfile, cycles, profile
from rthv.hv.config.fields import (
    IPA_LIMIT,
    Address,
    ConfigError,
    Costs,
    Irq,
    Name,
    PhysAddress,
    Size,
    whole_number,
)
from rthv.hv.config.vm_model import Section, VmConfig, base_dir
from rthv.hv.costs import CostTable
from rthv.hv.scheduling.errors import SchedulerPluginError
from rthv.hv.scheduling.registry import BUILTIN_POLICIES, PolicySpec, parse_policy_spec


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


class SharedMemoryView(Section):
    """Where one VM sees a shared-memory object, and with which rights."""

    vm: str = Field(description="Name of the VM.")
    ipa: Address = Field(description="Guest-physical base of the view, 4 KiB aligned.")
    perms: Literal["rw", "r"] = Field(default="rw", description='"rw" or "r"; never executable.')

    @model_validator(mode="after")
    def _aligned(self) -> SharedMemoryView:
        if self.ipa % PAGE_SIZE:
            raise ValueError(f"ipa {self.ipa:#x} is not 4 KiB aligned")
        return self


class SharedMemory(Section):
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


class NotifyChannel(Section):
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


class SchedulerConfig(Section):
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
            return parse_policy_spec(value, base_dir=base_dir(info))
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


class SystemConfig(Section):
    """The whole system: board, timing, costs, scheduler, VMs, shared memory, notify channels."""

    board: str = Field(description='A shipped board, e.g. "vexpress-a15" or "virt".')
    cpu_hz: Annotated[
        int, PlainValidator(lambda v: whole_number(v, "a frequency in Hz", 1, MAX_FREQUENCY_HZ))
    ] = Field(default=1_000_000_000, description="CPU clock: cycles per second of virtual time.")
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
