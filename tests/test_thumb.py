"""T32 instruction lengths: wide prefixes, counting mixed code and locating instructions."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from rthv.board.thumb import count_thumb_instructions, is_wide_thumb, thumb_instruction_address


def _assemble_thumb(tmp_path: Path, body: str) -> bytes:
    """Assemble T32 ``body`` with arm-none-eabi-as and return the raw .text bytes."""
    source, obj, raw = tmp_path / "t.s", tmp_path / "t.o", tmp_path / "t.bin"
    source.write_text(f".syntax unified\n.arch armv7-a\n.thumb\n{body}\n")
    subprocess.run(["arm-none-eabi-as", str(source), "-o", str(obj)], check=True)
    subprocess.run(
        ["arm-none-eabi-objcopy", "-O", "binary", "-j", ".text", str(obj), str(raw)], check=True
    )
    return raw.read_bytes()


def _halfwords(*values: int) -> bytes:
    return b"".join(v.to_bytes(2, "little") for v in values)


@pytest.mark.parametrize(
    ("halfword", "wide"),
    [
        (0xE800, True),  # 0b11101: STMDB/LDM/LDRD/STRD/table branch (T32 load/store multiple)
        (0xE9C2, True),  # 0b11101: strd r0, r1, [r2]
        (0xEFFF, True),  # 0b11101, all low bits set
        (0xF000, True),  # 0b11110: data processing (modified immediate), branches, BL
        (0xF7FF, True),  # 0b11110: first half of bl
        (0xF800, True),  # 0b11111: load/store single, data processing (register)
        (0xFFFF, True),  # 0b11111
        (0xE7FE, False),  # 0b11100: b.n . (16-bit unconditional branch, T2)
        (0xE000, False),  # 0b11100, lowest
        (0xBF00, False),  # nop
        (0x2001, False),  # movs r0, #1
        (0x4770, False),  # bx lr
        (0x0000, False),  # movs r0, r0
    ],
)
def test_is_wide_thumb_by_top_five_bits(halfword: int, wide: bool) -> None:
    """Exactly the prefixes 0b11101, 0b11110, 0b11111 start a 32-bit T32 instruction."""
    assert is_wide_thumb(halfword) is wide


def test_every_prefix_agrees_with_the_architecture() -> None:
    """Over all 32 five-bit prefixes, only the top three mean 32-bit (ARM ARM A6.1)."""
    wide = [prefix for prefix in range(32) if is_wide_thumb(prefix << 11)]
    assert wide == [0b11101, 0b11110, 0b11111]


def test_count_on_assembled_mixed_code(tmp_path: Path) -> None:
    """Eight instructions, 16- and 32-bit interleaved, are counted as eight."""
    code = _assemble_thumb(
        tmp_path,
        """
        movs r0, #1            @ 16
        mov.w r1, #0x100       @ 32 (0b11110)
        strd r0, r1, [r2]      @ 32 (0b11101)
        ldr.w r3, [r2, #4]     @ 32 (0b11111)
        adds r0, r0, r1        @ 16
        bl .                   @ 32 (0b11110 then 0b11111)
        nop                    @ 16
        b.n .                  @ 16 (0b11100)
        """,
    )
    assert len(code) == 2 + 4 + 4 + 4 + 2 + 4 + 2 + 2
    assert count_thumb_instructions(code) == 8
    offsets = [thumb_instruction_address(code, 0x8000_0000, i) - 0x8000_0000 for i in range(9)]
    assert offsets == [0, 2, 6, 10, 14, 16, 20, 22, 24]


def test_count_handles_short_and_truncated_code() -> None:
    """No halfword is no instruction; a trailing odd byte is ignored; a cut wide one counts."""
    assert count_thumb_instructions(b"") == 0
    assert count_thumb_instructions(b"\x01") == 0
    assert count_thumb_instructions(_halfwords(0x2001) + b"\x00") == 1
    # mov.w r0, #1 is F04F 0001; only its first halfword is present, yet it starts here.
    assert count_thumb_instructions(_halfwords(0x2001, 0xF04F)) == 2


def test_count_does_not_treat_second_halves_as_instructions() -> None:
    """The second halfword of bl (0xFFFE, prefix 0b11111) is skipped, not counted as wide."""
    # bl . = F7FF FFFE; movs r0, #1 = 2001
    code = _halfwords(0xF7FF, 0xFFFE, 0x2001)
    assert count_thumb_instructions(code) == 2
    assert thumb_instruction_address(code, 0x100, 1) == 0x104


def test_thumb_instruction_address_walks_lengths_from_start() -> None:
    """Index 0 is the start; each step adds 2 or 4 according to the first halfword."""
    # nop (BF00); ldr.w r0, [r1] (F8D1 0000); movs r0, #1 (2001)
    code = _halfwords(0xBF00, 0xF8D1, 0x0000, 0x2001)
    assert thumb_instruction_address(code, 0x1000, 0) == 0x1000
    assert thumb_instruction_address(code, 0x1000, 1) == 0x1002
    assert thumb_instruction_address(code, 0x1000, 2) == 0x1006
    assert thumb_instruction_address(code, 0x1000, 3) == 0x1008
