"""Loading a configuration: TOML in, board defaults filled, every step's error in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from rthv.hv.config.fields import ConfigError
from rthv.hv.config.load import load_config, parse_config

RAW = """board = "vexpress-a15"
[[vm]]
name = "a"
[[vm.image]]
path = "code.bin"
load_ipa = 0x80000000
[[vm.memory]]
ipa = 0x80000000
size = "1M"
"""


def test_a_file_loads_with_board_defaults_and_checked_images(tmp_path: Path) -> None:
    """The device's address and IRQs come from the board; the image is parsed once, kept."""
    (tmp_path / "code.bin").write_bytes(bytes(16))
    path = tmp_path / "system.toml"
    path.write_text(RAW + '[[vm.device]]\nname = "uart0"\n')
    config = load_config(path)
    (uart,) = config.vm("a").devices
    board = config.board_description.device("uart0")
    assert (uart.ipa, uart.irqs) == (board.base, board.irqs)
    assert config.image("a", 0).segments[0].data == bytes(16)


def test_reading_and_syntax_errors_name_the_file(tmp_path: Path) -> None:
    """A missing file, and a TOML error with its line, each in one line."""
    with pytest.raises(ConfigError, match=r"nowhere\.toml: cannot read"):
        load_config(tmp_path / "nowhere.toml")
    with pytest.raises(ConfigError, match=r"test\.toml: TOML syntax error: .*line 2"):
        parse_config('board = "vexpress-a15"\n[[vm]\n', tmp_path, source="test.toml")
