"""Exception entry into a PL1 mode, performed as the ARM ARM specifies (DDI 0406C, B1.8-B1.9).

Unicorn executes instructions but never takes an exception into the guest itself: the board
does it here, for a CPU with the Security and Virtualization Extensions running non-secure.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from rthv.board.registers import (
    CPSR_A,
    CPSR_E,
    CPSR_F,
    CPSR_I,
    CPSR_IT_HIGH,
    CPSR_IT_LOW,
    CPSR_J,
    CPSR_MODE_MASK,
    CPSR_T,
    DFAR,
    DFSR,
    IFAR,
    IFSR,
    SCTLR,
    SCTLR_EE,
    SCTLR_TE,
    SCTLR_V,
    VBAR,
    Mode,
    Registers,
)

HIGH_VECTORS: Final = 0xFFFF0000


@dataclass(frozen=True)
class _Entry:
    mode: Mode
    vector_offset: int
    lr_offset_arm: int
    lr_offset_thumb: int
    mask_async_abort: bool
    mask_fiq: bool


class ExceptionKind(enum.Enum):
    """PL1 exceptions, with their target mode, vector and link-register offsets.

    The link offsets are relative to the address of the instruction the exception is about: the
    UNDEFINED, SVC or aborting instruction itself, or for IRQ/FIQ the next instruction that
    would have executed (ARM ARM B1.8.3, "Link values saved on exception entry").
    """

    UNDEFINED = _Entry(Mode.UND, 0x04, 4, 2, False, False)
    SVC = _Entry(Mode.SVC, 0x08, 4, 2, False, False)
    PREFETCH_ABORT = _Entry(Mode.ABT, 0x0C, 4, 4, True, False)
    DATA_ABORT = _Entry(Mode.ABT, 0x10, 8, 8, True, False)
    IRQ = _Entry(Mode.IRQ, 0x18, 4, 4, True, False)
    FIQ = _Entry(Mode.FIQ, 0x1C, 4, 4, True, True)


# Short-descriptor fault status encodings (ARM ARM B3.13.3), as [10, 3:0] of DFSR/IFSR.
FSR_ALIGNMENT: Final = 0b00001
FSR_SYNC_EXTERNAL_ABORT: Final = 0b01000
DFSR_WNR: Final = 1 << 11


def fsr_bits(status: int) -> int:
    """Place a 5-bit short-descriptor fault status into FSR bits [10] and [3:0]."""
    return (status & 0xF) | ((status >> 4) & 1) << 10


def vector_base(regs: Registers, sctlr: int | None = None) -> int:
    """Where the vector table is: high vectors if SCTLR.V, else VBAR (``sctlr``: SCTLR's
    value if already read)."""
    if (regs.sys(SCTLR) if sctlr is None else sctlr) & SCTLR_V:
        return HIGH_VECTORS
    return regs.sys(VBAR) & ~0x1F


def take_exception(
    regs: Registers, kind: ExceptionKind, instruction_address: int, cpsr: int | None = None
) -> int:
    """Enter ``kind`` as if raised by the instruction at ``instruction_address``; returns new PC.

    Writes CPSR (switching banked registers), SPSR and LR of the target mode, then PC. ``cpsr``:
    CPSR's value if the caller has just read it.
    """
    entry: _Entry = kind._value_  # (``value`` is a Python-level property: this is at every IRQ)
    old_cpsr = regs.cpsr if cpsr is None else cpsr
    sctlr = regs.sys(SCTLR)
    offset = entry.lr_offset_thumb if old_cpsr & CPSR_T else entry.lr_offset_arm
    new_cpsr = old_cpsr & ~(CPSR_MODE_MASK | CPSR_T | CPSR_J | CPSR_IT_LOW | CPSR_IT_HIGH | CPSR_E)
    new_cpsr |= entry.mode | CPSR_I
    if entry.mask_async_abort:
        new_cpsr |= CPSR_A
    if entry.mask_fiq:
        new_cpsr |= CPSR_F
    if sctlr & SCTLR_TE:
        new_cpsr |= CPSR_T
    if sctlr & SCTLR_EE:
        new_cpsr |= CPSR_E
    target = vector_base(regs, sctlr) + entry.vector_offset
    regs.enter_exception(new_cpsr, old_cpsr, instruction_address + offset, target)
    return target


def record_data_abort(regs: Registers, address: int, status: int, write: bool) -> None:
    """Set DFAR and DFSR for a data abort at ``address``."""
    regs.set_sys(DFAR, address)
    regs.set_sys(DFSR, fsr_bits(status) | (DFSR_WNR if write else 0))


def record_walk_fault(regs: Registers, data: bool, status: int, address: int) -> None:
    """Set DFSR/DFAR (or IFSR/IFAR) to what a Stage-1 translation table walk produced."""
    regs.set_sys(DFAR if data else IFAR, address)
    regs.set_sys(DFSR if data else IFSR, status)


def record_prefetch_abort(regs: Registers, address: int, status: int) -> None:
    """Set IFAR and IFSR for a prefetch abort at ``address``."""
    regs.set_sys(IFAR, address)
    regs.set_sys(IFSR, fsr_bits(status))
