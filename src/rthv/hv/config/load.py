"""Loading a configuration: TOML -> board defaults -> model -> cross checks -> placement.

``load_config(path)`` (or ``parse_config(text, base_dir)``) is the one way in; what it returns
has passed every check, with its images parsed and its "auto" memory placed. Any problem is a
``ConfigError`` whose one-line message names the file and the field.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from rthv.board.description import BoardDescription, BoardError
from rthv.hv.config.checks import check_system
from rthv.hv.config.fields import ConfigError
from rthv.hv.config.model import SystemConfig, board_named
from rthv.hv.config.placement import place_memory


def load_config(path: Path) -> SystemConfig:
    """Read and validate the configuration file at ``path``."""
    try:
        text = path.read_text()
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
    return parse_config(text, path.parent, source=str(path))


def parse_config(text: str, base_dir: Path, *, source: str = "<config>") -> SystemConfig:
    """Validate a configuration written in TOML; relative paths are taken from ``base_dir``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{source}: TOML syntax error: {error}") from None
    try:
        return validate_config(data, base_dir)
    except ConfigError as error:
        raise ConfigError(f"{source}: {error}") from None
    except ValidationError as error:
        raise ConfigError(f"{source}: {_describe(error)}") from None


def validate_config(data: dict[str, Any], base_dir: Path) -> SystemConfig:
    """Check parsed TOML data in full and place its memory."""
    config = SystemConfig.model_validate(
        _fill_board_defaults(data), context={"base_dir": base_dir.absolute()}
    )
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
