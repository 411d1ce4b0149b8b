"""The guest's code read as the CPU fetches it: bytes, instruction words, the hint before a PC."""

from __future__ import annotations

import pytest

from rthv.board.decode import decode_hvc
from rthv.board.guest_code import (
    GuestMemoryError,
    follows_hint,
    instruction_at,
    read_code,
    try_read_code,
)
from support import assemble, core_with_code

BASE = 0x8000_0000
END = BASE + 0x10000


def test_code_is_read_where_it_is_mapped_and_only_there() -> None:
    """Bytes inside the RAM come back; a read running past its end is None, or an error."""
    core = core_with_code(bytes(range(8)))
    assert read_code(core.uc, BASE + 2, 4) == bytes([2, 3, 4, 5])
    assert try_read_code(core.uc, END - 2, 2) == bytes(2)
    assert try_read_code(core.uc, END - 2, 4) is None
    assert try_read_code(core.uc, -4, 4) is None
    with pytest.raises(GuestMemoryError, match="no code to read at 0x80010000"):
        read_code(core.uc, END, 4)


def test_the_instruction_word_at_a_pc_in_arm_and_thumb() -> None:
    """An A32 word, a wide T32 pair (first halfword high) and a narrow one (zero low half)."""
    arm = core_with_code(assemble("hvc #0x1234"))
    assert decode_hvc(instruction_at(arm.uc, BASE, False) or 0, False) == 0x1234
    thumb = core_with_code(assemble("hvc #0xabc\nnop", thumb=True), thumb=True)
    assert decode_hvc(instruction_at(thumb.uc, BASE, True) or 0, True) == 0xABC
    assert instruction_at(thumb.uc, BASE + 4, True) == 0xBF00 << 16
    thumb.uc.mem_write(END - 2, bytes([0xE0, 0xF7]))  # the first half of a wide one, last
    assert instruction_at(thumb.uc, END - 2, True) is None
    assert instruction_at(arm.uc, END, False) is None


@pytest.mark.parametrize(
    ("source", "thumb", "after", "hint"),
    [
        ("wfe\nnop", False, 4, True),
        ("yield\nnop", False, 4, True),
        ("nop\nnop", False, 4, False),
        ("wfe\nnop", True, 2, True),
        ("wfe.w\nnop", True, 4, True),
        ("movs r0, #0xbf\nnop", True, 2, False),
    ],
)
def test_whether_a_hint_ends_just_before_a_pc(
    source: str, thumb: bool, after: int, hint: bool
) -> None:
    """WFE and YIELD are found before the PC after them, narrow or wide; other code is not."""
    core = core_with_code(assemble(source, thumb=thumb), thumb=thumb)
    assert follows_hint(core.uc, BASE + after, thumb) is hint
