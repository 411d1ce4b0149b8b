"""T32 instruction-length decoding (ARM ARM A6.1: 16-bit and 32-bit Thumb encodings)."""

from __future__ import annotations

# A halfword whose top five bits are 0b11101, 0b11110 or 0b11111 starts a 32-bit encoding.
_FIRST_32BIT_PREFIX = 0b11101


def is_wide_thumb(halfword: int) -> bool:
    """True if ``halfword`` is the first half of a 32-bit T32 instruction."""
    return (halfword >> 11) >= _FIRST_32BIT_PREFIX


def count_thumb_instructions(code: bytes) -> int:
    """Number of T32 instructions that start within ``code`` (little-endian)."""
    count = offset = 0
    while offset + 1 < len(code):
        halfword = code[offset] | (code[offset + 1] << 8)
        offset += 4 if is_wide_thumb(halfword) else 2
        count += 1
    return count


def thumb_instruction_address(code: bytes, start: int, index: int) -> int:
    """Address of the ``index``-th T32 instruction of ``code`` that begins at ``start``."""
    offset = 0
    for _ in range(index):
        halfword = code[offset] | (code[offset + 1] << 8)
        offset += 4 if is_wide_thumb(halfword) else 2
    return start + offset
