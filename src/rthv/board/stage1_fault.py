"""The status and address of a Stage-1 abort, as the engine's translation table walk found them.

Unicorn reports an abort raised by the guest's own MMU walk (translation, access flag, domain,
permission; any level, short or long descriptors) as interrupt 3 (prefetch) or 4 (data), but
does not take it: DFSR/IFSR and DFAR/IFAR are never written. The walk's result stays in the CPU
state's exception record, ``{u32 syndrome; u32 fsr; u64 vaddress; u32 target_el}``, which only
a saved context exposes. ``fsr`` is already in the format the guest's TTBCR.EAE selects (WnR,
and the LPAE bit for long descriptors, included), exactly what the exception entry of the
engine's QEMU core writes to DFSR/IFSR.

The record's place in the context blob depends on the engine's build: it is pinned here for
the Unicorn version rthv requires, and every read checks it against the syndrome register.
"""

from __future__ import annotations

import ctypes
import struct
from dataclasses import dataclass
from typing import Any

import unicorn
import unicorn.unicorn_py3.unicorn as unicorn_binding
from unicorn import arm_const
from unicorn.unicorn_py3.unicorn import UcContext

PINNED_UNICORN = "2.1.4"
RECORD_OFFSET = 3064  # bytes from the start of a saved ARM context, Unicorn 2.1.4
_RECORD = struct.Struct("<IIQ")
_uclib: Any = unicorn_binding.uclib


@dataclass(frozen=True)
class Stage1Fault:
    """What the walk produced: the FSR value and the faulting virtual address."""

    status: int
    address: int


class Stage1FaultReader:
    """Reads the exception record of one engine (one reusable context buffer)."""

    def __init__(self, uc: unicorn.Uc) -> None:
        self._uc = uc
        self._context = UcContext(uc._uch, unicorn.UC_ARCH_ARM, unicorn.UC_MODE_ARM)
        if self._context.size < RECORD_OFFSET + _RECORD.size:
            raise RuntimeError(_unsupported())

    def read(self) -> Stage1Fault:
        """The record of the abort being reported now (call from the interrupt hook)."""
        context = self._context
        status = _uclib.uc_context_save(self._uc._uch, context.context)
        if status != unicorn.UC_ERR_OK:
            raise unicorn.UcError(status)
        raw = ctypes.string_at(int(context.context.value or 0) + RECORD_OFFSET, _RECORD.size)
        syndrome, fsr, address = _RECORD.unpack(raw)
        if syndrome != self._uc.reg_read(arm_const.UC_ARM_REG_ESR):
            raise RuntimeError(_unsupported())
        return Stage1Fault(fsr, address & 0xFFFFFFFF)


def _unsupported() -> str:
    return (
        f"Unicorn {unicorn.__version__}: no abort record at offset {RECORD_OFFSET} of the saved "
        f"context; rthv reads it as laid out by Unicorn {PINNED_UNICORN}"
    )
