"""The engine's C API as the hot paths call it: from C (``_engine_calls*.c``), not through ctypes.

A ctypes call of the engine costs 0.25 to 1 us in argument conversion and libffi, many times
what the engine spends; these functions call it directly. They are bound here, once, to the
functions of the libunicorn the bindings loaded (as ``_icount``'s are), so they work with the
stock engine and with rthv's alike. Engine errors raise ``unicorn.UcError`` with the engine's
status. ``run`` is what a run slice does around the engine in one call: start at the current PC
with the native counter's clock claimed, the GIL released while the engine runs, and return PC
and CPSR where the engine stopped; it raises an exception a callback kept in the ``Uc``'s
``_hook_exception``, as the bindings' ``Uc.emu_start`` does. The trap hooks (``add_hook``) and
MMIO callbacks (``mmio_map``) are C trampolines that call a Python callable directly, keeping
its exception in the same place; the ``Uc`` keeps each of them (its ``_rthv_hooks``) as long as
the engine holds a pointer to it.
"""

from __future__ import annotations

import ctypes
import types
from typing import Any

import unicorn
import unicorn.unicorn_py3.unicorn as unicorn_binding
from unicorn import arm_const

from rthv.board import _engine_calls
from rthv.board._engine_calls import (
    add_hook,
    cp15_read,
    cp15_write,
    emu_stop,
    fetch_code,
    mmio_map,
    read_batch,
    reg_read,
    reg_write,
    remove_cache,
    run,
    write_batch,
)

_icount: types.ModuleType | None
try:
    from rthv.board import _icount
except ImportError:  # pragma: no cover - exercised only where no C compiler was present
    _icount = None

__all__ = [
    "add_hook",
    "cp15_read",
    "cp15_write",
    "emu_stop",
    "fetch_code",
    "handle_of",
    "mmio_map",
    "read_batch",
    "reg_read",
    "reg_write",
    "remove_cache",
    "run",
    "write_batch",
]

_FUNCTIONS = (
    "uc_reg_read",
    "uc_reg_write",
    "uc_reg_read2",
    "uc_reg_write2",
    "uc_reg_read_batch2",
    "uc_reg_write_batch2",
    "uc_emu_start",
    "uc_emu_stop",
    "uc_ctl",
    "uc_hook_add",
    "uc_vmem_read",
    "uc_mmio_map",
)
# uc_ctl's code for a write of UC_CTL_TB_REMOVE_CACHE with its two arguments (begin, end).
_REMOVE_CACHE = (unicorn.UC_CTL_IO_WRITE << 30) | (2 << 26) | unicorn.UC_CTL_TB_REMOVE_CACHE


def handle_of(uc: unicorn.Uc) -> int:
    """The engine handle (``uc_engine *``) of ``uc``, as these functions take it."""
    handle: int = uc._uch.value
    return handle


def _bind() -> None:
    uclib: Any = unicorn_binding.uclib
    addresses = {
        name: int(ctypes.cast(getattr(uclib, name), ctypes.c_void_p).value or 0)
        for name in _FUNCTIONS
    }
    _engine_calls.bind(
        addresses,
        arm_const.UC_ARM_REG_CP_REG,
        arm_const.UC_ARM_REG_PC,
        arm_const.UC_ARM_REG_CPSR,
        _REMOVE_CACHE,
        unicorn.UcError,
    )
    if _icount is not None:  # ``run`` claims the engine's clock for a native counter's state
        counter = _icount.addresses()
        _engine_calls.bind_clock(counter["claim_clock"], counter["release_clock"])


_bind()
