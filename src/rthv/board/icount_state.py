"""The state the native counter (``_icount.h``) shares with Python: its layout, its stop reasons.

The field order of ``IcountState`` must match ``struct icount_state``, and ``StopReason`` the
C hook's stop codes; ``InstructionCounter`` checks the size against the built library.
"""

from __future__ import annotations

import ctypes
import enum
from typing import Final

from rthv.board.timing import NATIVE_SLOTS

_CACHE_SLOTS: Final = 4096


class StopReason(enum.IntEnum):
    """Why the block hook stopped the engine (NONE: it did not)."""

    NONE = 0
    BUDGET = 1
    SOFT = 2
    IRQ_UNMASKED = 3
    TIMER_WRITE = 4  # the guest wrote a generic-timer register in the block before


class _ThumbEntry(ctypes.Structure):
    _fields_ = (
        ("address", ctypes.c_uint64),
        ("size", ctypes.c_uint32),
        ("icount", ctypes.c_uint32),
        ("units", ctypes.c_uint64),
        ("uncached", ctypes.c_uint32),
        ("unused", ctypes.c_uint32),
    )


class IcountState(ctypes.Structure):
    """Shared with the C hook; the field order must match ``struct icount_state``."""

    _fields_ = (
        ("executed", ctypes.c_uint64),
        ("budget", ctypes.c_uint64),
        ("soft_limit", ctypes.c_uint64),
        ("block_start", ctypes.c_uint64),
        ("blocks", ctypes.c_uint64),
        ("block_size", ctypes.c_uint32),
        ("block_icount", ctypes.c_uint32),
        ("timer_sync", ctypes.c_uint32),
        ("watch_irq", ctypes.c_uint32),
        ("stop_reason", ctypes.c_uint32),
        ("cpsr_reg", ctypes.c_int32),
        ("reg_read", ctypes.c_void_p),
        ("emu_stop", ctypes.c_void_p),
        ("vmem_read", ctypes.c_void_p),
        ("units", ctypes.c_uint64),
        ("block_units", ctypes.c_uint64),
        ("weighted", ctypes.c_uint32),
        ("block_uncached", ctypes.c_uint32),
        ("cp_reg", ctypes.c_int32),
        ("weights", ctypes.c_uint32 * NATIVE_SLOTS),
        ("cache", _ThumbEntry * _CACHE_SLOTS),
        ("uc", ctypes.c_void_p),
        ("cycle_base", ctypes.c_uint64),
        ("retired_base", ctypes.c_uint64),
        ("units_per_cycle", ctypes.c_uint64),
        ("cpu_hz", ctypes.c_uint64),
        ("counter_hz", ctypes.c_uint64),
        ("clock_reads", ctypes.c_uint64),
        ("block_thumb", ctypes.c_uint32),
        ("pc_reg", ctypes.c_int32),
        ("block_tb", ctypes.c_uint64),
        ("limit_next_block", ctypes.c_void_p),
        ("finish_end", ctypes.c_uint64),
        ("finishing", ctypes.c_uint32),
        ("unused", ctypes.c_uint32),
        ("short_blocks", ctypes.c_uint64),
    )
