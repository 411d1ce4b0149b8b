"""Decoding of the few instructions the board must emulate: HVC and coprocessor accesses."""

from __future__ import annotations

from dataclasses import dataclass

_COND_SHIFT = 28
_COND_ALWAYS = 0xE


@dataclass(frozen=True)
class CoprocessorAccess:
    """An MRC/MCR (32-bit) or MRRC/MCRR (64-bit) access: ``read`` is true for MRC/MRRC."""

    coproc: int
    opc1: int
    crn: int
    crm: int
    opc2: int
    rt: int
    rt2: int
    is64: bool
    read: bool


def fetch_word(code: bytes, thumb: bool) -> int:
    """The instruction word at the start of ``code``: T32 as (first halfword << 16 | second)."""
    if thumb:
        return int.from_bytes(code[0:2], "little") << 16 | int.from_bytes(code[2:4], "little")
    return int.from_bytes(code[0:4], "little")


def decode_hvc(word: int, thumb: bool) -> int | None:
    """The imm16 of an HVC instruction, or None if ``word`` is not HVC."""
    if thumb:
        if word & 0xFFF0F000 == 0xF7E08000:
            return ((word >> 16) & 0xF) << 12 | (word & 0xFFF)
        return None
    if word & 0x0FF000F0 == 0x01400070 and word >> _COND_SHIFT == _COND_ALWAYS:
        return ((word >> 8) & 0xFFF) << 4 | (word & 0xF)
    return None


def decode_coprocessor(word: int, thumb: bool) -> CoprocessorAccess | None:
    """Decode MRC/MCR/MRRC/MCRR (ARM or T32 encoding T1), or None for anything else."""
    if thumb:
        if word >> 28 != 0xE or (word >> 24) & 0xF not in (0xC, 0xE):
            return None
        word = (_COND_ALWAYS << _COND_SHIFT) | (word & 0x0FFFFFFF)
    elif word >> _COND_SHIFT == 0xF:
        return None
    coproc = (word >> 8) & 0xF
    if word & 0x0F000010 == 0x0E000010:
        return CoprocessorAccess(
            coproc=coproc,
            opc1=(word >> 21) & 0x7,
            crn=(word >> 16) & 0xF,
            crm=word & 0xF,
            opc2=(word >> 5) & 0x7,
            rt=(word >> 12) & 0xF,
            rt2=0,
            is64=False,
            read=bool(word & (1 << 20)),
        )
    if word & 0x0FE00000 == 0x0C400000:
        return CoprocessorAccess(
            coproc=coproc,
            opc1=(word >> 4) & 0xF,
            crn=0,
            crm=word & 0xF,
            opc2=0,
            rt=(word >> 12) & 0xF,
            rt2=(word >> 16) & 0xF,
            is64=True,
            read=bool(word & (1 << 20)),
        )
    return None


def condition_passed(word: int, cpsr: int, thumb: bool) -> bool:
    """True if the ARM instruction ``word`` passes its condition under ``cpsr``'s flags (ARM ARM
    A8.3). T32 conditions live in IT state, not in the word: T32 counts as passing."""
    cond = word >> _COND_SHIFT
    if thumb or cond >= _COND_ALWAYS:
        return True
    n, z, c, v = (bool(cpsr >> bit & 1) for bit in (31, 30, 29, 28))
    results = (z, c, n, v, c and not z, n == v, not z and n == v)
    result = results[cond >> 1]
    return result != bool(cond & 1)
