"""rthv tells which Unicorn it runs on: its own build (made by `make`) or a stock wheel."""

from __future__ import annotations

import ctypes
from importlib.metadata import version

from rthv.board.engine_build import STOCK, engine_build


def test_the_loaded_library_agrees_with_the_installed_package_version() -> None:
    """rthv's build is the version 2.1.4+<change>; its library names the same change."""
    _, _, local = version("unicorn").partition("+")
    assert engine_build() == (local or STOCK)


def test_a_library_without_the_marker_is_a_stock_engine() -> None:
    """The C library has no rthv_engine_change: it reads as a stock engine."""
    assert engine_build(ctypes.CDLL(None)) == STOCK
