"""Exception entry on a real engine, checked against the ARM ARM (DDI 0406C B1.8-B1.9)."""

from __future__ import annotations

import pytest
from unicorn import arm_const
from unicorn.unicorn_const import UC_ARCH_ARM, UC_MODE_ARM
from unicorn.unicorn_py3 import Uc

from rthv.board.exceptions import (
    DFSR_WNR,
    FSR_ALIGNMENT,
    FSR_SYNC_EXTERNAL_ABORT,
    HIGH_VECTORS,
    ExceptionKind,
    fsr_bits,
    record_data_abort,
    record_prefetch_abort,
    record_walk_fault,
    take_exception,
    vector_base,
)
from rthv.board.registers import (
    CPSR_A,
    CPSR_E,
    CPSR_F,
    CPSR_I,
    CPSR_IT_HIGH,
    CPSR_IT_LOW,
    CPSR_J,
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
    Reg,
    Registers,
)

VECTORS = 0x8000_0000
FLAGS = 0xF80F_0000  # N Z C V Q and GE[3:0]: kept across exception entry

# kind: (mode, vector offset, LR offset from ARM, LR offset from Thumb, sets A, sets F)
# ARM ARM B1.8.3 table B1-7 (link values) and B1.8.1 table B1-3 (vector offsets); with the
# Virtualization Extensions CPSR.A is set for aborts, IRQ and FIQ, and CPSR.F for FIQ only.
ARCHITECTURE = {
    ExceptionKind.UNDEFINED: (Mode.UND, 0x04, 4, 2, False, False),
    ExceptionKind.SVC: (Mode.SVC, 0x08, 4, 2, False, False),
    ExceptionKind.PREFETCH_ABORT: (Mode.ABT, 0x0C, 4, 4, True, False),
    ExceptionKind.DATA_ABORT: (Mode.ABT, 0x10, 8, 8, True, False),
    ExceptionKind.IRQ: (Mode.IRQ, 0x18, 4, 4, True, False),
    ExceptionKind.FIQ: (Mode.FIQ, 0x1C, 4, 4, True, True),
}


@pytest.fixture
def regs() -> Registers:
    uc = Uc(UC_ARCH_ARM, UC_MODE_ARM)
    uc.ctl_set_cpu_model(arm_const.UC_CPU_ARM_CORTEX_A15)
    registers = Registers(uc)
    registers.set_sys(VBAR, VECTORS)
    return registers


def test_every_kind_is_covered() -> None:
    """The table above covers every PL1 exception kind."""
    assert set(ARCHITECTURE) == set(ExceptionKind)


@pytest.mark.parametrize("kind", list(ExceptionKind), ids=lambda k: k.name)
@pytest.mark.parametrize("thumb", [False, True], ids=["from-arm", "from-thumb"])
def test_entry_matches_the_architecture(regs: Registers, kind: ExceptionKind, thumb: bool) -> None:
    """Mode, masks, cleared T/IT/J/E, SPSR, LR and PC are set as the ARM ARM specifies."""
    mode, vector, lr_arm, lr_thumb, sets_a, sets_f = ARCHITECTURE[kind]
    address = 0x8000_1002 if thumb else 0x8000_1000
    old = Mode.USR | FLAGS | CPSR_J | CPSR_E
    if thumb:
        old |= CPSR_T | CPSR_IT_LOW | CPSR_IT_HIGH
    regs[Reg.CPSR] = old
    assert regs.cpsr == old

    target = take_exception(regs, kind, address)

    expected = FLAGS | mode | CPSR_I | (CPSR_A if sets_a else 0) | (CPSR_F if sets_f else 0)
    assert regs.cpsr == expected
    assert regs.mode == mode
    assert regs[Reg.SPSR] == old
    assert regs[Reg.LR] == address + (lr_thumb if thumb else lr_arm)
    assert target == VECTORS + vector
    assert regs.pc == target


@pytest.mark.parametrize("kind", [ExceptionKind.UNDEFINED, ExceptionKind.SVC], ids=lambda k: k.name)
def test_masks_already_set_stay_set(regs: Registers, kind: ExceptionKind) -> None:
    """Kinds that do not set A or F leave them as they were (set stays set, clear stays clear)."""
    regs[Reg.CPSR] = Mode.SVC | CPSR_A | CPSR_F
    take_exception(regs, kind, 0x8000_0000)
    assert regs.cpsr & (CPSR_A | CPSR_F | CPSR_I) == CPSR_A | CPSR_F | CPSR_I
    regs[Reg.CPSR] = Mode.USR
    take_exception(regs, kind, 0x8000_0000)
    assert regs.cpsr & (CPSR_A | CPSR_F | CPSR_I) == CPSR_I


def test_entry_banks_lr_and_spsr_per_mode(regs: Registers) -> None:
    """An IRQ taken from SVC leaves SVC's LR and SPSR untouched."""
    regs[Reg.CPSR] = Mode.SVC | CPSR_A | CPSR_F
    regs[Reg.LR] = 0x1111_1110
    regs[Reg.SPSR] = Mode.USR
    take_exception(regs, ExceptionKind.IRQ, 0x8000_2000)
    assert regs[Reg.LR] == 0x8000_2004
    assert regs[Reg.SPSR] == Mode.SVC | CPSR_A | CPSR_F
    regs[Reg.CPSR] = Mode.SVC | CPSR_I
    assert (regs[Reg.LR], regs[Reg.SPSR]) == (0x1111_1110, Mode.USR)


@pytest.mark.parametrize(
    ("kind", "offset"),
    [(ExceptionKind.UNDEFINED, 0x04), (ExceptionKind.DATA_ABORT, 0x10), (ExceptionKind.IRQ, 0x18)],
    ids=lambda v: v.name if isinstance(v, ExceptionKind) else hex(v),
)
def test_high_vectors_when_sctlr_v(regs: Registers, kind: ExceptionKind, offset: int) -> None:
    """With SCTLR.V set the table is at 0xFFFF0000 whatever VBAR holds."""
    regs.set_sys(SCTLR, regs.sys(SCTLR) | SCTLR_V)
    regs[Reg.CPSR] = Mode.SVC
    assert vector_base(regs) == HIGH_VECTORS == 0xFFFF_0000
    assert take_exception(regs, kind, 0x8000_0000) == 0xFFFF_0000 + offset
    assert regs.pc == 0xFFFF_0000 + offset


def test_vector_base_follows_vbar(regs: Registers) -> None:
    """Without SCTLR.V the table is at VBAR."""
    assert vector_base(regs) == VECTORS
    regs.set_sys(VBAR, 0x8123_4560)
    assert vector_base(regs) == 0x8123_4560


def test_cpsr_e_follows_sctlr_ee(regs: Registers) -> None:
    """CPSR.E on entry is SCTLR.EE: cleared without it, set with it."""
    regs[Reg.CPSR] = Mode.USR | CPSR_E
    take_exception(regs, ExceptionKind.SVC, 0x8000_0000)
    assert not regs.cpsr & CPSR_E
    regs[Reg.CPSR] = Mode.USR
    regs.set_sys(SCTLR, regs.sys(SCTLR) | SCTLR_EE)
    take_exception(regs, ExceptionKind.SVC, 0x8000_0000)
    assert regs.cpsr & CPSR_E


@pytest.mark.parametrize("thumb", [False, True], ids=["from-arm", "from-thumb"])
def test_handler_runs_in_thumb_when_sctlr_te(regs: Registers, thumb: bool) -> None:
    """With SCTLR.TE the handler is entered in Thumb state (CPSR.T set), from either state."""
    regs.set_sys(SCTLR, regs.sys(SCTLR) | SCTLR_TE)
    regs[Reg.CPSR] = Mode.USR | (CPSR_T if thumb else 0)
    target = take_exception(regs, ExceptionKind.SVC, 0x8000_1000)
    assert target == VECTORS + 0x08
    assert regs.pc == target
    assert regs.thumb
    assert regs.cpsr == Mode.SVC | CPSR_I | CPSR_T


@pytest.mark.parametrize("thumb", [False, True], ids=["from-arm", "from-thumb"])
def test_handler_runs_in_arm_without_sctlr_te(regs: Registers, thumb: bool) -> None:
    """Without SCTLR.TE the handler is entered in ARM state, even from Thumb code."""
    regs[Reg.CPSR] = Mode.USR | (CPSR_T if thumb else 0)
    take_exception(regs, ExceptionKind.UNDEFINED, 0x8000_1000)
    assert not regs.thumb
    assert regs.cpsr == Mode.UND | CPSR_I


@pytest.mark.parametrize(
    ("status", "bits"),
    [
        (FSR_ALIGNMENT, 0x001),
        (FSR_SYNC_EXTERNAL_ABORT, 0x008),
        (0b00101, 0x005),  # translation fault, section
        (0b10110, 0x406),  # asynchronous external abort: FS[4] goes to bit 10
        (0b11111, 0x40F),
        (0b100101, 0x005),  # bits above FS[4] are dropped
    ],
)
def test_fsr_bits_place_fs4_in_bit_10(status: int, bits: int) -> None:
    """The 5-bit fault status lands in FSR[10] and FSR[3:0]."""
    assert fsr_bits(status) == bits


def test_record_data_abort_sets_dfar_and_dfsr_with_wnr(regs: Registers) -> None:
    """DFAR is the faulting address; DFSR holds the status and WnR (bit 11) for writes."""
    record_data_abort(regs, 0x1C09_0FFC, FSR_SYNC_EXTERNAL_ABORT, write=True)
    assert regs.sys(DFAR) == 0x1C09_0FFC
    assert regs.sys(DFSR) == 0x808
    assert DFSR_WNR == 1 << 11
    record_data_abort(regs, 0x8000_0001, FSR_ALIGNMENT, write=False)
    assert (regs.sys(DFAR), regs.sys(DFSR)) == (0x8000_0001, 0x001)
    record_data_abort(regs, 0x4, 0b10110, write=True)
    assert regs.sys(DFSR) == 0xC06
    assert (regs.sys(IFAR), regs.sys(IFSR)) == (0, 0)


def test_record_prefetch_abort_sets_ifar_and_ifsr(regs: Registers) -> None:
    """IFAR is the faulting address, IFSR the status; the data-side registers are untouched."""
    record_prefetch_abort(regs, 0x9000_0000, FSR_SYNC_EXTERNAL_ABORT)
    assert (regs.sys(IFAR), regs.sys(IFSR)) == (0x9000_0000, 0x008)
    record_prefetch_abort(regs, 0x10, 0b11001)
    assert (regs.sys(IFAR), regs.sys(IFSR)) == (0x10, 0x409)
    assert (regs.sys(DFAR), regs.sys(DFSR)) == (0, 0)


def test_record_walk_fault_writes_the_walk_s_status_unchanged(regs: Registers) -> None:
    """A walk's FSR already carries WnR and the LPAE bit: it is written as it is."""
    record_walk_fault(regs, True, 0xA0E, 0x9060_0500)
    assert (regs.sys(DFAR), regs.sys(DFSR)) == (0x9060_0500, 0xA0E)
    record_walk_fault(regs, False, 0x007, 0x9010_0100)
    assert (regs.sys(IFAR), regs.sys(IFSR)) == (0x9010_0100, 0x007)
    assert (regs.sys(DFAR), regs.sys(DFSR)) == (0x9060_0500, 0xA0E)
