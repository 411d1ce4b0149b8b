"""Value types of configuration fields (addresses, sizes, names, ...) and ``ConfigError``.

Each type is an annotated ``int``/``str`` whose validator gives a one-line message; the models in
``rthv.hv.config.vm_model`` and ``rthv.hv.config.model`` declare their fields with them.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import PlainSerializer, PlainValidator

from rthv.board.memory import PAGE_SIZE
from rthv.hv.costs import CostError, CostTable

IPA_LIMIT = 1 << 32  # guests are 32-bit ARMv7: their IPA space is the 4 GiB they can address


class ConfigError(ValueError):
    """A configuration that cannot run, with a one-line message naming the field."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.splitlines()))


_SIZE_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
_SIZE = re.compile(r"^\s*(\d+)\s*([KMG]?)(?:i?B)?\s*$", re.IGNORECASE)
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def whole_number(value: object, what: str, minimum: int = 0, maximum: int | None = None) -> int:
    """``value`` if it is an integer (not a bool) of at least ``minimum`` (and at most
    ``maximum``, if given)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"must be {what}, not {value!r}")
    if value < minimum:
        raise ValueError(f"must be {what} >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"must be {what} <= {maximum}, got {value}")
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
