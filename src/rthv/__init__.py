"""rthv: a compact real-time Type-1 hypervisor for ARMv7-A, on an emulated board.

The public API (``rthv.load``, ``rthv.System``, ...) lives in ``rthv.tools.api``; it is imported
on first use, so that ``import rthv`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# First: the trap path's compiled modules run only while they match their source.
from rthv import compiled_modules as compiled_modules

if TYPE_CHECKING:
    from rthv.tools.api import (
        Console,
        Duration,
        ExpectTimeout,
        System,
        TraceEvent,
        UnknownVm,
        VirtualMachine,
        load,
    )

__version__ = "0.1.0"
__all__ = [
    "Console",
    "Duration",
    "ExpectTimeout",
    "System",
    "TraceEvent",
    "UnknownVm",
    "VirtualMachine",
    "__version__",
    "load",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from rthv.tools import api

        return getattr(api, name)
    raise AttributeError(f"module 'rthv' has no attribute {name!r}")
