"""Decoding trapped instructions: HVC immediates and MRC/MCR/MRRC/MCRR fields, ARM and T32."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from rthv.board.decode import (
    CoprocessorAccess,
    condition_passed,
    decode_coprocessor,
    decode_hvc,
    fetch_word,
)


def _assemble(tmp_path: Path, line: str, thumb: bool) -> int:
    """Assemble one instruction with arm-none-eabi-as; the word as fetch_word reads it."""
    source, obj, raw = tmp_path / "i.s", tmp_path / "i.o", tmp_path / "i.bin"
    state = ".thumb" if thumb else ".arm"
    source.write_text(f".syntax unified\n.arch armv7ve\n.fpu vfpv4\n{state}\n{line}\n")
    subprocess.run(["arm-none-eabi-as", str(source), "-o", str(obj)], check=True)
    subprocess.run(
        ["arm-none-eabi-objcopy", "-O", "binary", "-j", ".text", str(obj), str(raw)], check=True
    )
    code = raw.read_bytes()
    assert len(code) == 4, f"{line!r} is not a 32-bit instruction"
    return fetch_word(code, thumb)


def test_fetch_word_orders_thumb_halfwords_first_high() -> None:
    """ARM words are little-endian; T32 puts the first halfword in the top 16 bits."""
    code = bytes.fromhex("51ec0e0f")  # T32 mrrc p15, 0, r0, r1, c14 = EC51 0F0E
    assert fetch_word(code, thumb=True) == 0xEC51_0F0E
    assert fetch_word(code, thumb=False) == 0x0F0E_EC51
    assert fetch_word(bytes.fromhex("7000 40e1 ffff"), thumb=False) == 0xE140_0070


@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "t32"])
@pytest.mark.parametrize("imm", [0, 1, 0xF, 0x10, 0x1234, 0xFFF0, 0xFFFF])
def test_decode_hvc_immediates(tmp_path: Path, thumb: bool, imm: int) -> None:
    """HVC #imm16 decodes to imm16, from the assembler's encoding in both instruction sets."""
    assert decode_hvc(_assemble(tmp_path, f"hvc #{imm:#x}", thumb), thumb) == imm


def test_decode_hvc_known_encodings() -> None:
    """Hand encodings of HVC (ARM ARM DDI 0406C) decode to their imm16."""
    # A1: cccc 0001 0100 imm12 0111 imm4;  T1: 1111 0111 1110 imm4 | 1000 imm12
    assert decode_hvc(0xE140_0070, thumb=False) == 0
    assert decode_hvc(0xE14F_FF7F, thumb=False) == 0xFFFF
    assert decode_hvc(0xE141_2374, thumb=False) == 0x1234
    assert decode_hvc(0xF7E0_8000, thumb=True) == 0
    assert decode_hvc(0xF7EF_8FFF, thumb=True) == 0xFFFF
    assert decode_hvc(0xF7E1_8234, thumb=True) == 0x1234


def test_decode_hvc_rejects_other_instructions() -> None:
    """Conditional ARM HVC, neighbours such as BKPT/SMC, and other words are not HVC."""
    assert decode_hvc(0x1140_0070, thumb=False) is None  # cond NE: HVC is unconditional only
    assert decode_hvc(0xF140_0070, thumb=False) is None  # cond 0b1111
    assert decode_hvc(0xE120_0070, thumb=False) is None  # bkpt #0
    assert decode_hvc(0xE160_0070, thumb=False) is None  # smc #0
    assert decode_hvc(0xE1A0_0001, thumb=False) is None  # mov r0, r1
    assert decode_hvc(0xF7F0_8000, thumb=True) is None  # smc #0 (T1: F7F0 8000)
    assert decode_hvc(0xF7E0_A000, thumb=True) is None  # bit 13 set: not HVC (udf/b space)
    assert decode_hvc(0xF7E0_8000, thumb=False) is None  # a T32 HVC word read as ARM
    assert decode_hvc(0xE140_0070, thumb=True) is None  # an ARM HVC word read as T32


# (assembly, fields) for the generic-timer accesses rthv traps.
COPROCESSOR_CASES = [
    (
        "mrrc p15, 0, r0, r1, c14",  # CNTPCT
        CoprocessorAccess(15, 0, 0, 14, 0, rt=0, rt2=1, is64=True, read=True),
    ),
    (
        "mrc p15, 0, r2, c14, c2, 1",  # CNTP_CTL
        CoprocessorAccess(15, 0, 14, 2, 1, rt=2, rt2=0, is64=False, read=True),
    ),
    (
        "mcr p15, 0, r3, c14, c2, 0",  # CNTP_TVAL
        CoprocessorAccess(15, 0, 14, 2, 0, rt=3, rt2=0, is64=False, read=False),
    ),
    (
        "mcrr p15, 2, r4, r5, c14",  # CNTP_CVAL
        CoprocessorAccess(15, 2, 0, 14, 0, rt=4, rt2=5, is64=True, read=False),
    ),
    (
        "mrrc p15, 1, r12, lr, c14",  # CNTVCT into r12/r14
        CoprocessorAccess(15, 1, 0, 14, 0, rt=12, rt2=14, is64=True, read=True),
    ),
    (
        "mrc p15, 7, r11, c15, c7, 7",  # every field at its maximum
        CoprocessorAccess(15, 7, 15, 7, 7, rt=11, rt2=0, is64=False, read=True),
    ),
    (
        "mcr p14, 1, r0, c0, c5, 0",  # a debug (cp14) register
        CoprocessorAccess(14, 1, 0, 5, 0, rt=0, rt2=0, is64=False, read=False),
    ),
]


@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "t32"])
@pytest.mark.parametrize(
    ("line", "expected"), COPROCESSOR_CASES, ids=[c[0] for c in COPROCESSOR_CASES]
)
def test_decode_coprocessor_fields(
    tmp_path: Path, line: str, expected: CoprocessorAccess, thumb: bool
) -> None:
    """Every field of the assembler's encoding decodes back, in ARM and in T32."""
    assert decode_coprocessor(_assemble(tmp_path, line, thumb), thumb) == expected


def test_decode_coprocessor_known_encodings() -> None:
    """Hand encodings (ARM ARM DDI 0406C, MRC and MRRC) decode as the assembler's do."""
    cntpct = CoprocessorAccess(15, 0, 0, 14, 0, rt=0, rt2=1, is64=True, read=True)
    # MRRC A1: cccc 1100 0101 Rt2 Rt coproc opc1 CRm;  T1: 1110 1100 0101 Rt2 | Rt coproc opc1 CRm
    assert decode_coprocessor(0xEC51_0F0E, thumb=False) == cntpct
    assert decode_coprocessor(0xEC51_0F0E, thumb=True) == cntpct
    # MRC A1: cccc 1110 opc1 1 CRn Rt coproc opc2 1 CRm
    ctl = decode_coprocessor(0xEE1E_2F32, thumb=False)
    assert ctl == CoprocessorAccess(15, 0, 14, 2, 1, rt=2, rt2=0, is64=False, read=True)


def test_conditional_arm_access_decodes_its_fields() -> None:
    """An ARM MRC with a condition other than AL still decodes (cond 0b0001, NE)."""
    access = decode_coprocessor(0x1E1E_2F32, thumb=False)
    assert access == CoprocessorAccess(15, 0, 14, 2, 1, rt=2, rt2=0, is64=False, read=True)


@pytest.mark.parametrize(
    ("word", "thumb"),
    [
        (0xE1A0_0001, False),  # mov r0, r1
        (0xE140_0070, False),  # hvc #0
        (0xEE1E_2F02, False),  # cdp p15, 1, c2, c14, c2, 0 (bit 4 clear): no register transfer
        (0xED9F_0B00, False),  # vldr d0, [pc] (LDC space)
        (0xFE1E_2F32, False),  # mrc2 (cond 0b1111 is MRC2, not handled)
        (0xFC51_0F0E, False),  # mrrc2
        (0xF7E0_8000, True),  # T32 hvc #0
        (0xF04F_0001, True),  # T32 mov.w r0, #1
        (0xFE1E_2F32, True),  # T32 mrc2 (encoding T2)
        (0xED9F_0B00, True),  # T32 vldr d0, [pc]
        (0xE9C2_0100, True),  # T32 strd r0, r1, [r2]
    ],
)
def test_non_register_transfers_return_none(word: int, thumb: bool) -> None:
    """Words that are not MRC/MCR/MRRC/MCRR (ARM, or T32 encoding T1) decode to None."""
    assert decode_coprocessor(word, thumb) is None


@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "t32"])
def test_vfp_transfer_decodes_with_its_coprocessor_number(tmp_path: Path, thumb: bool) -> None:
    """VMOV core->single uses the MCR encoding on cp10: decoded, for the caller to reject."""
    access = decode_coprocessor(_assemble(tmp_path, "vmov s2, r0", thumb), thumb)
    assert access == CoprocessorAccess(10, 0, 1, 0, 0, rt=0, rt2=0, is64=False, read=False)


@pytest.mark.parametrize(
    ("cond", "flags", "passed"),
    [
        (0x0, 1 << 30, True),  # EQ with Z
        (0x1, 1 << 30, False),  # NE with Z
        (0xA, 0, True),  # GE: N == V
        (0xA, 1 << 31, False),  # GE: N != V
        (0x8, 1 << 29, True),  # HI: C and not Z
        (0x9, 1 << 29, False),  # LS
        (0xC, 1 << 30, False),  # GT with Z
        (0xE, 0, True),  # AL
    ],
)
def test_condition_passed_follows_the_flags(cond: int, flags: int, passed: bool) -> None:
    """ARM condition codes against NZCV; T32 words always pass (their condition is IT state)."""
    word = cond << 28 | 0x0E000F10
    assert condition_passed(word, flags, thumb=False) is passed
    assert condition_passed(word, flags, thumb=True)
