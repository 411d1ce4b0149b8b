"""Loading a configuration: TOML -> board defaults -> model -> cross checks -> placement.

``load_config(path)`` (or ``parse_config(text, base_dir)``) is the one way in; what it returns
has passed every check, with its images parsed and its "auto" memory placed. Any problem is a
``ConfigError`` whose one-line message names the file and the field.
"""

from __future__ import annotations

import difflib
import re
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from rthv.board.description import BoardDescription, BoardError
from rthv.board.timing import TimingError
from rthv.hv.config.checks import check_system
from rthv.hv.config.fields import ConfigError
from rthv.hv.config.model import SystemConfig, board_named
from rthv.hv.config.placement import place_memory


def load_config(path: Path, overrides: Mapping[str, object] | None = None) -> SystemConfig:
    """Read and validate the configuration file at ``path`` (``overrides``: see parse_config)."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise ConfigError(
            f"{path}: line {line}: not UTF-8 text (byte {raw[error.start]:#04x}); TOML is UTF-8"
        ) from None
    return parse_config(text, path.parent, source=str(path), overrides=overrides)


def parse_config(
    text: str,
    base_dir: Path,
    *,
    source: str = "<config>",
    overrides: Mapping[str, object] | None = None,
) -> SystemConfig:
    """Validate a configuration written in TOML; relative paths are taken from ``base_dir``.

    ``overrides`` replace top-level keys of the file (e.g. ``timing``, ``cpi``, ``costs``)
    before validation, as the command line and parameter sweeps do.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{source}: TOML syntax error: {error}") from None
    except RecursionError:
        raise ConfigError(f"{source}: arrays or tables nested too deeply") from None
    except ValueError as error:  # an integer past Python's digit limit for conversions
        raise ConfigError(f"{source}: {_huge_integer(text) or error}") from None
    data.update(overrides or {})
    try:
        return validate_config(data, base_dir)
    except ConfigError as error:
        raise ConfigError(f"{source}: {error}") from None
    except ValidationError as error:
        raise ConfigError(f"{source}: {_describe(error)}") from None
    except RecursionError:
        raise ConfigError(f"{source}: arrays or tables nested too deeply") from None


def _huge_integer(text: str) -> str | None:
    """Where ``text`` has an integer too long to convert: "line N: key: ..."."""
    for number, line in enumerate(text.splitlines(), start=1):
        digits = re.search(rf"[0-9_]{{{_MAX_DIGITS},}}", line)
        if digits is not None:
            key = line.split("=", 1)[0].strip() if "=" in line[: digits.start()] else "a value"
            return f"line {number}: {key}: an integer of more than {_MAX_DIGITS} digits"
    return None


def validate_config(data: dict[str, Any], base_dir: Path) -> SystemConfig:
    """Check parsed TOML data in full and place its memory."""
    config = SystemConfig.model_validate(
        _fill_board_defaults(data), context={"base_dir": base_dir.absolute()}
    )
    try:
        config.timing_profile  # noqa: B018 - validates the weight overrides
    except TimingError as error:
        raise ConfigError(f"weights.{error}") from None
    board = config.board_description
    images = check_system(config, board)
    config.record_checked(images, place_memory(config, board))
    return config


def _fill_board_defaults(data: dict[str, Any]) -> dict[str, Any]:
    """Raw TOML data with device addresses/IRQs from the board and channel ids filled in."""
    if not isinstance(data.get("board"), str):
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


_MAX_DIGITS = sys.get_int_max_str_digits() or 4300
_PLAIN_MESSAGES = {"extra_forbidden": "unknown field", "missing": "missing required field"}


def _describe(error: ValidationError) -> str:
    errors = error.errors()
    # An unknown key explains the "missing" ones beside it (a typo): report it first.
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, ConfigError):
        return str(cause)
    what = str(cause) if isinstance(cause, Exception) else first["msg"]
    what = _PLAIN_MESSAGES.get(first["type"], what)
    if first["type"] == "extra_forbidden":
        what += _suggestion(first["loc"], errors)
    where = _field_path(first["loc"])
    return f"{where}: {what}" if where else what


def _suggestion(loc: tuple[int | str, ...], errors: list[Any]) -> str:
    """' (did you mean "x"?)' when a missing or known key beside ``loc`` is close to its name."""
    name, parent = str(loc[-1]), loc[:-1]
    siblings = [
        str(e["loc"][-1]) for e in errors if e["type"] == "missing" and e["loc"][:-1] == parent
    ]
    near = difflib.get_close_matches(name, siblings + _known_keys(parent), n=1, cutoff=0.6)
    return f' (did you mean "{near[0]}"?)' if near else ""


def _known_keys(loc: tuple[int | str, ...]) -> list[str]:
    """The keys the model accepts at ``loc`` (e.g. ("vm", 0) -> the [[vm]] keys)."""
    model: type[BaseModel] | None = SystemConfig
    for part in loc:
        if isinstance(part, int):
            continue
        fields = model.model_fields if model is not None else {}
        found = [f for name, f in fields.items() if part in (name, f.alias)]
        if not found:
            return []
        model = _model_in(found[0].annotation)
    if model is None:
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model class inside ``tuple[M, ...]``, ``list[M]`` or ``M | None``, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


def _field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path
