"""Registers over a real Cortex-A15 Unicorn engine: core, banked and CP15 registers, memory."""

from __future__ import annotations

import pytest
from unicorn import arm_const
from unicorn.unicorn_const import UC_ARCH_ARM, UC_MODE_ARM
from unicorn.unicorn_py3 import Uc, UcError

from rthv.board.registers import (
    CPSR_A,
    CPSR_F,
    CPSR_I,
    CPSR_T,
    DFAR,
    DFSR,
    GENERAL_REGISTERS,
    IFAR,
    IFSR,
    SCTLR,
    SCTLR_TE,
    SCTLR_V,
    VBAR,
    Mode,
    Reg,
    Registers,
    SysReg,
)

MASKED = CPSR_A | CPSR_I | CPSR_F


@pytest.fixture
def uc() -> Uc:
    engine = Uc(UC_ARCH_ARM, UC_MODE_ARM)
    engine.ctl_set_cpu_model(arm_const.UC_CPU_ARM_CORTEX_A15)
    engine.mem_map(0x8000_0000, 0x1000)
    return engine


@pytest.fixture
def regs(uc: Uc) -> Registers:
    return Registers(uc)


def test_general_registers_are_r0_to_pc() -> None:
    """GENERAL_REGISTERS lists R0..R12, SP, LR, PC in encoding order (index = register number)."""
    assert [r.name for r in GENERAL_REGISTERS] == [f"R{i}" for i in range(13)] + ["SP", "LR", "PC"]


def test_core_registers_read_back_masked_to_32_bits(regs: Registers) -> None:
    """Writes keep the low 32 bits: -1 reads as 0xFFFFFFFF, a 33-bit value loses bit 32."""
    regs[Reg.R0] = 0x1234_5678
    regs[Reg.R1] = -1
    regs[Reg.R12] = 0x1_8765_4321
    assert regs[Reg.R0] == 0x1234_5678
    assert regs[Reg.R1] == 0xFFFF_FFFF
    assert regs[Reg.R12] == 0x8765_4321


def test_pc_cpsr_mode_and_thumb_properties(regs: Registers) -> None:
    """pc, cpsr, mode and thumb reflect the engine's state."""
    regs[Reg.CPSR] = Mode.SVC | MASKED
    regs[Reg.PC] = 0x8000_0010
    assert regs.pc == 0x8000_0010
    assert regs.cpsr == Mode.SVC | MASKED
    assert (regs.mode, regs.thumb) == (Mode.SVC, False)
    regs[Reg.CPSR] = Mode.USR | CPSR_T
    assert (regs.mode, regs.thumb) == (Mode.USR, True)


@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "thumb"])
def test_pc_write_keeps_the_instruction_set_state(regs: Registers, thumb: bool) -> None:
    """Writing PC never changes CPSR.T: bit 0 of the value is ignored, the state stays."""
    regs[Reg.CPSR] = Mode.SVC | (CPSR_T if thumb else 0)
    regs[Reg.PC] = 0x8000_0100
    assert (regs.pc, regs.thumb) == (0x8000_0100, thumb)
    regs[Reg.PC] = 0x8000_0203
    assert (regs.pc, regs.thumb) == (0x8000_0202, thumb)
    assert regs.cpsr == Mode.SVC | (CPSR_T if thumb else 0)


@pytest.mark.parametrize("start", [False, True], ids=["from-arm", "from-thumb"])
@pytest.mark.parametrize("thumb", [False, True], ids=["to-arm", "to-thumb"])
def test_branch_sets_pc_and_instruction_set_together(
    regs: Registers, start: bool, thumb: bool
) -> None:
    """branch() is an interworking jump: PC without bit 0, CPSR.T as asked, mode untouched."""
    regs[Reg.CPSR] = Mode.IRQ | MASKED | (CPSR_T if start else 0)
    regs.branch(0x8000_0041, thumb=thumb)
    assert regs.pc == 0x8000_0040
    assert regs.thumb is thumb
    assert regs.cpsr == Mode.IRQ | MASKED | (CPSR_T if thumb else 0)


@pytest.mark.parametrize("start", [False, True], ids=["from-arm", "from-thumb"])
@pytest.mark.parametrize("thumb", [False, True], ids=["to-arm", "to-thumb"])
def test_return_with_is_r0_then_branch(regs: Registers, start: bool, thumb: bool) -> None:
    """return_with() leaves r0, PC and CPSR as writing r0 and then branch() do."""
    results = []
    for together in (False, True):
        regs[Reg.CPSR] = Mode.SVC | MASKED | (CPSR_T if start else 0)
        regs[Reg.R1] = 0x1234
        if together:
            regs.return_with(0xFFFF_FFDA, 0x8000_0105, thumb)
        else:
            regs[Reg.R0] = 0xFFFF_FFDA
            regs.branch(0x8000_0105, thumb)
        results.append((regs[Reg.R0], regs[Reg.R1], regs.pc, regs.cpsr))
        regs[Reg.R0] = 0
    assert results[0] == results[1]
    assert results[1][:3] == (0xFFFF_FFDA, 0x1234, 0x8000_0104)


@pytest.mark.parametrize("reg", [DFSR, DFAR, IFSR, IFAR], ids=lambda r: r.name)
def test_fault_registers_round_trip(regs: Registers, reg: SysReg) -> None:
    """DFSR/DFAR/IFSR/IFAR keep what is written, masked to 32 bits."""
    regs.set_sys(reg, 0x8765_4321)
    assert regs.sys(reg) == 0x8765_4321
    regs.set_sys(reg, 0x1_0000_0040)
    assert regs.sys(reg) == 0x40


def test_vbar_round_trips_aligned_addresses(regs: Registers) -> None:
    """VBAR keeps a 32-byte aligned base (bits [4:0] are reserved and read as zero)."""
    assert regs.sys(VBAR) == 0
    regs.set_sys(VBAR, 0x8000_0020)
    assert regs.sys(VBAR) == 0x8000_0020
    regs.set_sys(VBAR, 0x8000_003F)
    assert regs.sys(VBAR) == 0x8000_0020


def test_sctlr_bits_round_trip(regs: Registers) -> None:
    """SCTLR.V and SCTLR.TE can be set and cleared through set_sys."""
    reset = regs.sys(SCTLR)
    assert reset & (SCTLR_V | SCTLR_TE) == 0
    regs.set_sys(SCTLR, reset | SCTLR_V | SCTLR_TE)
    assert regs.sys(SCTLR) == reset | SCTLR_V | SCTLR_TE
    regs.set_sys(SCTLR, reset)
    assert regs.sys(SCTLR) == reset


def test_sysreg_key_is_unicorns_cp_reg_tuple() -> None:
    """A SysReg key is (cp15, 32-bit, non-secure, CRn, CRm, opc1, opc2)."""
    assert IFAR.key() == (15, 0, 0, 6, 0, 0, 2)
    assert VBAR.key() == (15, 0, 0, 12, 0, 0, 0)


def test_cpsr_mode_switch_banks_sp_and_lr(regs: Registers) -> None:
    """SVC's SP/LR survive a visit to IRQ mode, whose own SP/LR are separate."""
    regs[Reg.CPSR] = Mode.SVC | MASKED
    regs[Reg.SP] = 0x8000_1000
    regs[Reg.LR] = 0x8000_0004
    regs[Reg.R4] = 0x44
    regs[Reg.CPSR] = Mode.IRQ | MASKED
    assert regs.mode == Mode.IRQ
    assert regs[Reg.SP] != 0x8000_1000
    regs[Reg.SP] = 0x8000_2000
    regs[Reg.LR] = 0x8000_0008
    assert regs[Reg.R4] == 0x44  # not banked
    regs[Reg.CPSR] = Mode.SVC | MASKED
    assert (regs[Reg.SP], regs[Reg.LR]) == (0x8000_1000, 0x8000_0004)
    regs[Reg.CPSR] = Mode.IRQ | MASKED
    assert (regs[Reg.SP], regs[Reg.LR]) == (0x8000_2000, 0x8000_0008)


def test_spsr_is_banked_per_mode(regs: Registers) -> None:
    """Each exception mode has its own SPSR."""
    regs[Reg.CPSR] = Mode.SVC | MASKED
    regs[Reg.SPSR] = Mode.USR | 0x6000_0000
    regs[Reg.CPSR] = Mode.ABT | MASKED
    regs[Reg.SPSR] = Mode.SVC | CPSR_T
    regs[Reg.CPSR] = Mode.SVC | MASKED
    assert regs[Reg.SPSR] == Mode.USR | 0x6000_0000
    regs[Reg.CPSR] = Mode.ABT | MASKED
    assert regs[Reg.SPSR] == Mode.SVC | CPSR_T


def test_snapshot_names_every_general_register_and_cpsr(regs: Registers) -> None:
    """snapshot maps R0..R12, SP, LR, PC and CPSR to their current values."""
    regs[Reg.CPSR] = Mode.SVC | MASKED
    for number, reg in enumerate(GENERAL_REGISTERS[:13]):
        regs[reg] = 0x100 + number
    regs[Reg.SP] = 0x8000_0F00
    regs[Reg.PC] = 0x8000_0000
    snapshot = regs.snapshot()
    assert list(snapshot) == [f"R{i}" for i in range(13)] + ["SP", "LR", "PC", "CPSR"]
    assert [snapshot[f"R{i}"] for i in range(13)] == [0x100 + i for i in range(13)]
    assert (snapshot["SP"], snapshot["PC"]) == (0x8000_0F00, 0x8000_0000)
    assert snapshot["CPSR"] == Mode.SVC | MASKED


def test_read_memory_returns_mapped_bytes(uc: Uc, regs: Registers) -> None:
    """read_memory returns bytes (not a bytearray) of what is mapped at the address."""
    uc.mem_write(0x8000_0100, b"\xde\xad\xbe\xef")
    data = regs.read_memory(0x8000_00FE, 8)
    assert type(data) is bytes
    assert data == b"\x00\x00\xde\xad\xbe\xef\x00\x00"
    with pytest.raises(UcError):
        regs.read_memory(0x1000, 4)


def test_exception_entry_in_one_call_writes_the_new_modes_banked_registers(uc: Uc) -> None:
    """CPSR first, so SPSR and LR land in the IRQ bank; SVC's LR is untouched; PC gets the
    T bit of the new CPSR; PC and CPSR read back together."""
    regs = Registers(uc)
    regs[Reg.CPSR] = Mode.SVC | MASKED
    regs[Reg.LR] = 0x1111
    irq_cpsr = Mode.IRQ | MASKED | CPSR_T
    regs.enter_exception(irq_cpsr, Mode.SVC | MASKED, 0x8000_0124, 0x8000_0018)
    assert regs.pc_and_cpsr() == (0x8000_0018, irq_cpsr)
    assert (regs[Reg.SPSR], regs[Reg.LR]) == (Mode.SVC | MASKED, 0x8000_0124)
    regs[Reg.CPSR] = Mode.SVC | MASKED
    assert regs[Reg.LR] == 0x1111


def test_r0_to_r3_in_one_call_and_the_syndrome_read_once(uc: Uc) -> None:
    """A call's four registers come back in order; the syndrome reads as 0 after its read."""
    regs = Registers(uc)
    for reg, value in zip((Reg.R0, Reg.R1, Reg.R2, Reg.R3), (7, 0xFFFF_FFFF, 0, 42), strict=True):
        regs[reg] = value
    assert regs.r0_to_r3() == (7, 0xFFFF_FFFF, 0, 42)
    uc.reg_write(arm_const.UC_ARM_REG_ESR, 0x4800_0000)
    assert regs.syndrome() == 0x4800_0000
    assert regs.syndrome() == 0
