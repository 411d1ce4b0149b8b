"""The abort record of a Stage-1 walk fault is read from where this engine keeps it."""

from __future__ import annotations

import struct

import pytest
import unicorn

from rthv.board import stage1_fault
from rthv.board.stage1_fault import PINNED_UNICORN, Stage1FaultReader
from support import assemble

BASE = 0x80000000
TABLE = BASE + 0x4000
SECTION_RW = 0b11 << 10 | 0b10  # short-descriptor section, AP = full access

MMU_ON_THEN_STORE = """
    ldr r0, =0x80004000
    mcr p15, 0, r0, c2, c0, 0   @ TTBR0
    mov r0, #0
    mcr p15, 0, r0, c2, c0, 2   @ TTBCR: short descriptors
    mov r0, #1
    mcr p15, 0, r0, c3, c0, 0   @ DACR: domain 0 client
    mrc p15, 0, r0, c1, c0, 0
    orr r0, r0, #1
    mcr p15, 0, r0, c1, c0, 0   @ SCTLR.M
    isb
    ldr r1, =0x12345678
    str r2, [r1]
    b .
"""


def test_the_engine_is_the_version_the_record_offset_was_pinned_for() -> None:
    """A different engine may lay its CPU state out differently: the pin must be revisited."""
    assert unicorn.__version__ == PINNED_UNICORN


def test_a_section_translation_fault_on_a_store_reads_back_as_dfsr_0x805() -> None:
    """The walk's FSR (section translation fault, WnR) and the virtual address come back."""
    uc = unicorn.Uc(unicorn.UC_ARCH_ARM, unicorn.UC_MODE_ARM)
    uc.ctl_set_cpu_model(unicorn.arm_const.UC_CPU_ARM_CORTEX_A15)
    uc.mem_map(BASE, 0x10000)
    uc.mem_write(BASE, assemble(MMU_ON_THEN_STORE, base=BASE))
    uc.mem_write(TABLE + (BASE >> 20) * 4, struct.pack("<I", BASE | SECTION_RW))
    uc.reg_write(unicorn.arm_const.UC_ARM_REG_CPSR, 0x1D3)
    reader = Stage1FaultReader(uc)
    seen: list[tuple[int, int, int]] = []

    def on_interrupt(engine: unicorn.Uc, intno: int, _data: object) -> None:
        fault = reader.read()
        seen.append((intno, fault.status, fault.address))
        engine.emu_stop()

    uc.hook_add(unicorn.UC_HOOK_INTR, on_interrupt)
    uc.emu_start(BASE, 0xFFFFFFFF, count=100)
    assert seen == [(4, 0x805, 0x12345678)]


def test_the_syndrome_register_is_the_record_s_first_word() -> None:
    """ESR and the record's syndrome are one field: the check at every read is meaningful."""
    uc = unicorn.Uc(unicorn.UC_ARCH_ARM, unicorn.UC_MODE_ARM)
    uc.reg_write(unicorn.arm_const.UC_ARM_REG_ESR, 0x96000045)
    assert Stage1FaultReader(uc).read().status == 0


def test_a_record_that_does_not_hold_the_syndrome_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Looking in the wrong place (another engine layout) fails loudly, naming the version."""
    uc = unicorn.Uc(unicorn.UC_ARCH_ARM, unicorn.UC_MODE_ARM)
    uc.reg_write(unicorn.arm_const.UC_ARM_REG_ESR, 0x96000045)
    monkeypatch.setattr(stage1_fault, "RECORD_OFFSET", stage1_fault.RECORD_OFFSET - 16)
    with pytest.raises(RuntimeError, match=r"Unicorn 2\.1\.4: no abort record"):
        Stage1FaultReader(uc).read()
