"""Placing "auto" memory: first fit in board RAM, in config order, around fixed regions."""

from __future__ import annotations

from pathlib import Path

import pytest

from rthv.hv.config.fields import ConfigError
from rthv.hv.config.load import parse_config
from rthv.hv.config.model import SystemConfig
from rthv.hv.config.placement import place_memory


def _vm(name: str, size: str, pa: str = "") -> str:
    return (
        f'[[vm]]\nname = "{name}"\n[[vm.image]]\npath = "code.bin"\nload_ipa = 0x80000000\n'
        f'[[vm.memory]]\nipa = 0x80000000\nsize = "{size}"\n{pa}\n'
    )


def _parse(tmp_path: Path, *vms: str) -> SystemConfig:
    (tmp_path / "code.bin").write_bytes(bytes(4))
    return parse_config('board = "vexpress-a15"\n' + "".join(vms), tmp_path, source="t.toml")


def test_auto_regions_fill_ram_around_a_fixed_one_in_order(tmp_path: Path) -> None:
    """b is fixed at the start of RAM; a (1 MiB) goes after it, c (2 MiB) on a 2 MiB boundary."""
    config = _parse(tmp_path, _vm("a", "1M"), _vm("b", "4K", "pa = 0x80000000"), _vm("c", "2M"))
    placements = place_memory(config, config.board_description)
    assert placements.vm_memory == {
        "a": (0x8000_1000,),
        "b": (0x8000_0000,),
        "c": (0x8020_0000,),
    }
    assert placements == config.placements


def test_a_region_that_finds_no_room_is_named(tmp_path: Path) -> None:
    """More than the board's RAM: the region that did not fit is in the message."""
    with pytest.raises(ConfigError, match=r'vm "b"\.memory\[0\].*no room left in board RAM'):
        _parse(tmp_path, _vm("a", "64M"), _vm("b", "100M"))
