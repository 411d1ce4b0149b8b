"""Which build of the Unicorn engine is loaded: rthv's own, built by ``make``, or a stock one.

``make`` builds Unicorn 2.1.4 from source with rthv's change (``engine/``: stores to RAM pages
without translated code take the fast path), and that library exports ``rthv_engine_change``,
the change's name. A stock wheel from PyPI runs rthv just as correctly, only slower.
"""

from __future__ import annotations

import ctypes
from typing import Any

import unicorn.unicorn_py3.unicorn as unicorn_binding

STOCK = "stock"
_MARKER = "rthv_engine_change"


def engine_build(library: Any = None) -> str:
    """The name of rthv's change in the loaded engine library (e.g. "rthv1"), or "stock"."""
    uclib = unicorn_binding.uclib if library is None else library
    try:
        marker = ctypes.c_char.in_dll(uclib, _MARKER)
    except ValueError:  # the symbol is not there: a stock build
        return STOCK
    return ctypes.string_at(ctypes.addressof(marker)).decode()
