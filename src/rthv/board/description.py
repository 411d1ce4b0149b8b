"""Board descriptions: memory maps, GIC layout and devices as data (TOML files in ``boards/``).

The shipped boards are checked as they are read, field by field, by a small reader driven by
the dataclass fields and their bounds (``_bounds``): an unknown key, a missing field, a wrong
type or a value out of range is refused at its dotted location (``gic.num_irqs``). Plain
dataclasses keep reading a board cheap: no validation library is imported to start a machine.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from typing import Any, TypeVar

from rthv.board.board_files import BOARDS_DIR, available_boards
from rthv.board.device_kinds import DeviceKind, device_kind

_Location = tuple[str | int, ...]
_Described = TypeVar("_Described")


class BoardError(ValueError):
    """An unknown board name or an invalid board description."""


class _Invalid(Exception):
    """One bad value in a board description, at ``location``."""

    def __init__(self, location: _Location, message: str) -> None:
        super().__init__(message)
        self.location = location
        self.message = message


def _bounds(
    *, ge: int | None = None, gt: int | None = None, le: int | None = None, lt: int | None = None
) -> dict[str, dict[str, int]]:
    """Field metadata: the inclusive/exclusive bounds of an integer field."""
    given = {"ge": ge, "gt": gt, "le": le, "lt": lt}
    return {"bounds": {name: limit for name, limit in given.items() if limit is not None}}


@dataclass(frozen=True, kw_only=True)
class MemoryBlock:
    """A RAM or ROM block: name, physical base and size in bytes."""

    name: str
    base: int = field(metadata=_bounds(ge=0))
    size: int = field(metadata=_bounds(gt=0))

    @property
    def end(self) -> int:
        """First address past the block."""
        return self.base + self.size


@dataclass(frozen=True, kw_only=True)
class GicLayout:
    """Where the GICv2 register blocks are, and how many interrupt IDs it implements."""

    distributor: int
    cpu_interface: int
    hyp_interface: int
    virtual_cpu_interface: int
    num_irqs: int = field(metadata=_bounds(ge=32, le=1020))
    maintenance_irq: int = field(metadata=_bounds(ge=16, lt=32))


@dataclass(frozen=True, kw_only=True)
class GenericTimerLayout:
    """The generic timer's counter frequency and its PPIs."""

    frequency_hz: int = field(metadata=_bounds(gt=0))
    phys_irq: int = field(metadata=_bounds(ge=16, lt=32))
    virt_irq: int = field(metadata=_bounds(ge=16, lt=32))
    hyp_irq: int = field(metadata=_bounds(ge=16, lt=32))


@dataclass(frozen=True, kw_only=True)
class DeviceDescription:
    """A memory-mapped device: model kind, register block and interrupt IDs."""

    name: str
    kind: str  # a registered device kind (rthv.board.device_kinds), checked as it is read
    base: int = field(metadata=_bounds(ge=0))
    size: int = field(metadata=_bounds(gt=0))
    irqs: tuple[int, ...] = ()
    clock_hz: int | None = field(default=None, metadata=_bounds(gt=0))

    @property
    def model_kind(self) -> DeviceKind:
        """How this device is built, and what it is (a UART, a timed device)."""
        return device_kind(self.kind)

    @property
    def is_uart(self) -> bool:
        """A PL011-compatible UART: it can be a console."""
        return self.model_kind.uart


@dataclass(frozen=True, kw_only=True)
class BoardDescription:
    """A whole board: what the hardware is, with no behaviour."""

    name: str
    description: str = ""
    console: str
    ram: tuple[MemoryBlock, ...]
    rom: tuple[MemoryBlock, ...] = ()
    gic: GicLayout
    generic_timer: GenericTimerLayout
    devices: tuple[DeviceDescription, ...] = ()

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
    """Check a board description written in TOML, and return it."""
    try:
        board = _read(BoardDescription, tomllib.loads(text), ())
        _check_devices(board)
    except tomllib.TOMLDecodeError as error:
        raise BoardError(f"{source}: {error}") from None
    except _Invalid as error:
        where = ".".join(str(part) for part in error.location) or "board"
        raise BoardError(f"{source}: {where}: {error.message}") from None
    return board


def _check_devices(board: BoardDescription) -> None:
    """The console is one of the devices, and device names are unique."""
    names = [d.name for d in board.devices]
    if board.console not in names:
        raise _Invalid((), f"console {board.console!r} is not one of the devices {names}")
    if len(set(names)) != len(names):
        raise _Invalid((), "device names must be unique")


# What each field annotation (a string: annotations are postponed) reads as.
_NESTED: dict[str, type[Any]] = {
    "MemoryBlock": MemoryBlock,
    "GicLayout": GicLayout,
    "GenericTimerLayout": GenericTimerLayout,
    "DeviceDescription": DeviceDescription,
}


def _read(cls: type[_Described], data: object, location: _Location) -> _Described:
    """An instance of the dataclass ``cls`` from a TOML table, each field checked."""
    if not isinstance(data, dict):
        raise _Invalid(location, "Input should be a valid dictionary")
    values: dict[str, Any] = {}
    for spec in dataclasses.fields(cls):  # type: ignore[arg-type]
        where = (*location, spec.name)
        if spec.name not in data:
            if spec.default is dataclasses.MISSING:
                raise _Invalid(where, "Field required")
            continue
        values[spec.name] = _value(str(spec.type), data[spec.name], where, spec.metadata)
    for key in data:
        if key not in values:
            raise _Invalid((*location, key), "Extra inputs are not permitted")
    if cls is DeviceDescription:
        try:
            device_kind(values["kind"])
        except ValueError as error:
            raise _Invalid((*location, "kind"), str(error)) from None
    return cls(**values)


def _value(annotation: str, value: object, where: _Location, metadata: Any) -> object:
    """One field's value, checked against its annotation and bounds."""
    if annotation == "str":
        if not isinstance(value, str):
            raise _Invalid(where, "Input should be a valid string")
        return value
    if annotation in ("int", "int | None"):
        return _integer(value, where, metadata.get("bounds", {}))
    if annotation.startswith("tuple[") and annotation.endswith(", ...]"):
        if not isinstance(value, list | tuple):
            raise _Invalid(where, "Input should be a valid tuple")
        item = annotation.removeprefix("tuple[").removesuffix(", ...]")
        return tuple(_value(item, v, (*where, i), {}) for i, v in enumerate(value))
    return _read(_NESTED[annotation], value, where)


_BOUND_TEXT = {
    "ge": "greater than or equal to",
    "gt": "greater than",
    "le": "less than or equal to",
    "lt": "less than",
}
_BOUND_HOLDS = {
    "ge": int.__ge__,
    "gt": int.__gt__,
    "le": int.__le__,
    "lt": int.__lt__,
}


def _integer(value: object, where: _Location, bounds: dict[str, int]) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid(where, "Input should be a valid integer")
    for name, limit in bounds.items():
        if not _BOUND_HOLDS[name](value, limit):
            raise _Invalid(where, f"Input should be {_BOUND_TEXT[name]} {limit}")
    return value
