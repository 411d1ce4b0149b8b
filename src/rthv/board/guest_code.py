"""The guest's code as the CPU fetches it: bytes through the guest's MMU, instruction words.

Reads go through the guest's own Stage-1 translation (when its MMU is on), then the engine's
address space, as an instruction fetch would.
"""

from __future__ import annotations

import unicorn
from unicorn.unicorn_py3.unicorn import Uc

from rthv.board.decode import fetch_word
from rthv.board.engine_calls import fetch_code, handle_of
from rthv.board.thumb import is_wide_thumb

_ARM_HINTS = {0xE320F001: "yield", 0xE320F002: "wfe"}
_THUMB_HINTS = {0xBF10: "yield", 0xBF20: "wfe"}


class GuestMemoryError(Exception):
    """Guest memory that the board had to read is not there (nothing is mapped)."""


def read_code(uc: unicorn.Uc, address: int, size: int) -> bytes:
    """Read ``size`` bytes of code at virtual ``address`` through the guest's MMU."""
    code = try_read_code(uc, address, size)
    if code is None:
        raise GuestMemoryError(f"no code to read at {address:#010x} ({size} bytes)")
    return code


def try_read_code(uc: unicorn.Uc, address: int, size: int) -> bytes | None:
    """``size`` bytes of code at virtual ``address`` through the guest's MMU, None if any of
    them has no mapping (the guest's own translation, then the engine's address space)."""
    if address < 0 or address + size > 1 << 32:
        return None
    code = fetch_code(handle_of(uc), address, size)
    if code is not None:
        return code
    try:
        return bytes(uc.mem_read(address, size))
    except unicorn.UcError:
        return None


def instruction_at(uc: Uc, pc: int, thumb: bool) -> int | None:
    """The instruction word at ``pc`` (see ``fetch_word``), None if its bytes are not there."""
    first = try_read_code(uc, pc, 2 if thumb else 4)
    if first is None:
        return None
    if not thumb:
        return fetch_word(first, thumb)
    if not is_wide_thumb(int.from_bytes(first, "little")):
        return fetch_word(first + bytes(2), thumb)
    second = try_read_code(uc, pc + 2, 2)
    return None if second is None else fetch_word(first + second, thumb)


def follows_hint(uc: Uc, pc: int, thumb: bool) -> bool:
    """True if the instruction just before ``pc`` is WFE or YIELD."""
    if not thumb:
        before = try_read_code(uc, pc - 4, 4)
        return before is not None and int.from_bytes(before, "little") in _ARM_HINTS
    last = try_read_code(uc, pc - 2, 2)
    if last is None:
        return False
    earlier = try_read_code(uc, pc - 4, 2)  # absent when the hint starts a mapped region
    if int.from_bytes(last, "little") in _THUMB_HINTS:
        return earlier is None or not is_wide_thumb(int.from_bytes(earlier, "little"))
    return (
        earlier is not None
        and int.from_bytes(earlier, "little") == 0xF3AF
        and int.from_bytes(last, "little") & 0xFF in (1, 2)
    )
