"""Board descriptions: memory maps, GIC layout and devices as data (TOML files in ``boards/``)."""

from __future__ import annotations

import tomllib

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from rthv.board.board_files import BOARDS_DIR, available_boards
from rthv.board.device_kinds import DeviceKind, device_kind


class BoardError(ValueError):
    """An unknown board name or an invalid board description."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MemoryBlock(_Strict):
    """A RAM or ROM block: name, physical base and size in bytes."""

    name: str
    base: int = Field(ge=0)
    size: int = Field(gt=0)

    @property
    def end(self) -> int:
        """First address past the block."""
        return self.base + self.size


class GicLayout(_Strict):
    """Where the GICv2 register blocks are, and how many interrupt IDs it implements."""

    distributor: int
    cpu_interface: int
    hyp_interface: int
    virtual_cpu_interface: int
    num_irqs: int = Field(ge=32, le=1020)
    maintenance_irq: int = Field(ge=16, lt=32)


class GenericTimerLayout(_Strict):
    """The generic timer's counter frequency and its PPIs."""

    frequency_hz: int = Field(gt=0)
    phys_irq: int = Field(ge=16, lt=32)
    virt_irq: int = Field(ge=16, lt=32)
    hyp_irq: int = Field(ge=16, lt=32)


class DeviceDescription(_Strict):
    """A memory-mapped device: model kind, register block and interrupt IDs."""

    name: str
    kind: str = Field(description="A registered device kind (rthv.board.device_kinds).")
    base: int = Field(ge=0)
    size: int = Field(gt=0)
    irqs: tuple[int, ...] = ()
    clock_hz: int | None = Field(default=None, gt=0)

    @field_validator("kind")
    @classmethod
    def _registered(cls, kind: str) -> str:
        device_kind(kind)
        return kind

    @property
    def model_kind(self) -> DeviceKind:
        """How this device is built, and what it is (a UART, a timed device)."""
        return device_kind(self.kind)

    @property
    def is_uart(self) -> bool:
        """A PL011-compatible UART: it can be a console."""
        return self.model_kind.uart


class BoardDescription(_Strict):
    """A whole board: what the hardware is, with no behaviour."""

    name: str
    description: str = ""
    console: str
    ram: tuple[MemoryBlock, ...]
    rom: tuple[MemoryBlock, ...] = ()
    gic: GicLayout
    generic_timer: GenericTimerLayout
    devices: tuple[DeviceDescription, ...] = ()

    @model_validator(mode="after")
    def _console_exists(self) -> BoardDescription:
        names = [d.name for d in self.devices]
        if self.console not in names:
            raise ValueError(f"console {self.console!r} is not one of the devices {names}")
        if len(set(names)) != len(names):
            raise ValueError("device names must be unique")
        return self

    def device(self, name: str) -> DeviceDescription:
        """The device called ``name``."""
        for device in self.devices:
            if device.name == name:
                return device
        raise BoardError(f"board {self.name} has no device {name!r}")


def load_board(name: str) -> BoardDescription:
    """The shipped board called ``name``."""
    path = BOARDS_DIR / f"{name}.toml"
    if not path.is_file():
        raise BoardError(f"unknown board {name!r}; known boards: {', '.join(available_boards())}")
    return parse_board(path.read_text(), source=str(path))


def parse_board(text: str, *, source: str = "<board>") -> BoardDescription:
    """Validate a board description written in TOML."""
    try:
        return BoardDescription.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as error:
        raise BoardError(f"{source}: {error}") from None
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "board"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise BoardError(f"{source}: {where}: {message}") from None
