"""The state shared with the native counter: the same size and stop codes as ``_icount.h``."""

from __future__ import annotations

import ctypes
import re
from pathlib import Path

from rthv.board import _icount, icount_state
from rthv.board.icount_state import IcountState, StopReason

C_HEADER = Path(icount_state.__file__).with_name("_icount.h")


def test_the_layout_is_as_large_as_the_c_struct() -> None:
    """The built hook reports ``sizeof(struct icount_state)``; the ctypes layout matches it."""
    assert _icount.addresses()["state_size"] == ctypes.sizeof(IcountState)


def test_the_stop_reasons_are_the_c_hooks_stop_codes() -> None:
    """``StopReason`` has one member per ``STOP_*`` code in the C header, with its value."""
    enum_line = re.search(r"enum \{ (STOP_[^}]*)\};", C_HEADER.read_text())
    assert enum_line is not None
    codes = dict(re.findall(r"STOP_(\w+) = (\d+)", enum_line.group(1)))
    assert {name: int(value) for name, value in codes.items()} == {
        "NONE": StopReason.NONE,
        "BUDGET": StopReason.BUDGET,
        "SOFT": StopReason.SOFT,
        "IRQ": StopReason.IRQ_UNMASKED,
        "TIMER_WRITE": StopReason.TIMER_WRITE,
    }
    assert len(StopReason) == len(codes)
