"""Typed access to the ARMv7-A register file of one Unicorn engine."""

from __future__ import annotations

import enum
from typing import Final, NamedTuple

import unicorn
from unicorn import arm_const as uca

from rthv.board.engine_calls import (
    cp15_read,
    cp15_write,
    handle_of,
    read_batch,
    reg_read,
    reg_write,
    write_batch,
)
from rthv.board.guest_code import try_read_code


class Reg(enum.IntEnum):
    """Core registers, as seen in the current mode (banked SP/LR/SPSR follow CPSR.M)."""

    R0 = uca.UC_ARM_REG_R0
    R1 = uca.UC_ARM_REG_R1
    R2 = uca.UC_ARM_REG_R2
    R3 = uca.UC_ARM_REG_R3
    R4 = uca.UC_ARM_REG_R4
    R5 = uca.UC_ARM_REG_R5
    R6 = uca.UC_ARM_REG_R6
    R7 = uca.UC_ARM_REG_R7
    R8 = uca.UC_ARM_REG_R8
    R9 = uca.UC_ARM_REG_R9
    R10 = uca.UC_ARM_REG_R10
    R11 = uca.UC_ARM_REG_R11
    R12 = uca.UC_ARM_REG_R12
    SP = uca.UC_ARM_REG_SP
    LR = uca.UC_ARM_REG_LR
    PC = uca.UC_ARM_REG_PC
    CPSR = uca.UC_ARM_REG_CPSR
    SPSR = uca.UC_ARM_REG_SPSR


GENERAL_REGISTERS: Final[tuple[Reg, ...]] = tuple(Reg)[:16]


class SysReg(NamedTuple):
    """A CP15 register by its MRC/MCR encoding (non-secure bank)."""

    name: str
    crn: int
    crm: int
    opc1: int
    opc2: int

    def key(self) -> tuple[int, int, int, int, int, int, int]:
        """The tuple Unicorn's UC_ARM_REG_CP_REG expects: (cp, is64, sec, crn, crm, opc1, opc2)."""
        return (15, 0, 0, self.crn, self.crm, self.opc1, self.opc2)


class SysReg64(NamedTuple):
    """A 64-bit CP15 register by its MRRC/MCRR encoding (non-secure bank)."""

    name: str
    crm: int
    opc1: int

    def key(self) -> tuple[int, int, int, int, int, int, int]:
        """The tuple Unicorn's UC_ARM_REG_CP_REG expects: (cp, is64, sec, crn, crm, opc1, opc2)."""
        return (15, 1, 0, 0, self.crm, self.opc1, 0)


SCTLR: Final = SysReg("SCTLR", 1, 0, 0, 0)
DFSR: Final = SysReg("DFSR", 5, 0, 0, 0)
IFSR: Final = SysReg("IFSR", 5, 0, 0, 1)
DFAR: Final = SysReg("DFAR", 6, 0, 0, 0)
IFAR: Final = SysReg("IFAR", 6, 0, 0, 2)
VBAR: Final = SysReg("VBAR", 12, 0, 0, 0)
CNTHCTL: Final = SysReg("CNTHCTL", 14, 1, 4, 0)
CNTFRQ: Final = SysReg("CNTFRQ", 14, 0, 0, 0)
CNTKCTL: Final = SysReg("CNTKCTL", 14, 1, 0, 0)
CNTV_CTL: Final = SysReg("CNTV_CTL", 14, 3, 0, 1)
CNTV_CVAL: Final = SysReg64("CNTV_CVAL", 14, 3)
CNTVCT: Final = SysReg64("CNTVCT", 14, 1)


class Mode(enum.IntEnum):
    """CPSR.M processor modes."""

    USR = 0x10
    FIQ = 0x11
    IRQ = 0x12
    SVC = 0x13
    MON = 0x16
    ABT = 0x17
    HYP = 0x1A
    UND = 0x1B
    SYS = 0x1F


_PC: Final = int(Reg.PC)  # plain ints for the C API: no enum conversion on the hottest reads
_CPSR: Final = int(Reg.CPSR)
_ESR: Final = uca.UC_ARM_REG_ESR
_PC_CPSR: Final = (_PC, _CPSR)  # fixed batches, in the order the engine reads or writes them
_R0_TO_R3: Final = (int(Reg.R0), int(Reg.R1), int(Reg.R2), int(Reg.R3))
_EXCEPTION_ENTRY: Final = (_CPSR, int(Reg.SPSR), int(Reg.LR), _PC)
_R0_PC: Final = (int(Reg.R0), _PC)
CPSR_MODE_MASK: Final = 0x1F
CPSR_T: Final = 1 << 5
CPSR_F: Final = 1 << 6
CPSR_I: Final = 1 << 7
CPSR_A: Final = 1 << 8
CPSR_E: Final = 1 << 9
CPSR_IT_LOW: Final = 0x3 << 25
CPSR_J: Final = 1 << 24
CPSR_IT_HIGH: Final = 0x3F << 10
SCTLR_V: Final = 1 << 13
SCTLR_EE: Final = 1 << 25
SCTLR_TE: Final = 1 << 30


class Registers:
    """Read and write the registers of one engine by name."""

    def __init__(self, uc: unicorn.Uc) -> None:
        self._uc = uc
        self._handle = handle_of(uc)

    def __getitem__(self, reg: Reg) -> int:
        return reg_read(self._handle, reg)

    def _write(self, reg: int, value: int) -> None:
        reg_write(self._handle, reg, value)

    def __setitem__(self, reg: Reg, value: int) -> None:
        if reg is Reg.PC:
            # Unicorn takes the Thumb state from bit 0 of a PC write: keep the current one.
            value = (value & ~1) | (1 if self.thumb else 0)
        self._write(reg, value)

    def branch(self, address: int, thumb: bool) -> None:
        """Set PC and the instruction set state together (an interworking branch)."""
        self._write(Reg.PC, (address & ~1) | (1 if thumb else 0))

    def return_with(self, r0: int, address: int, thumb: bool) -> None:
        """``self[Reg.R0] = r0`` then ``branch(address, thumb)``, in one call of the engine
        (a call's status and the return after it)."""
        write_batch(self._handle, _R0_PC, r0, (address & ~1) | (1 if thumb else 0))

    def sys(self, reg: SysReg) -> int:
        """Value of a CP15 system register."""
        return cp15_read(self._handle, reg.crn, reg.crm, reg.opc1, reg.opc2, reg.name)

    def set_sys(self, reg: SysReg, value: int) -> None:
        """Write a CP15 system register."""
        cp15_write(self._handle, reg.crn, reg.crm, reg.opc1, reg.opc2, value, reg.name)

    def sys64(self, reg: SysReg64) -> int:
        """Value of a 64-bit CP15 register."""
        return int(self._uc.reg_read(uca.UC_ARM_REG_CP_REG, reg.key()))

    def set_sys64(self, reg: SysReg64, value: int) -> None:
        """Write a 64-bit CP15 register."""
        self._uc.reg_write(uca.UC_ARM_REG_CP_REG, (*reg.key(), value & 0xFFFFFFFFFFFFFFFF))

    @property
    def pc(self) -> int:
        """Program counter."""
        return reg_read(self._handle, _PC)

    @property
    def cpsr(self) -> int:
        """Current program status register."""
        return reg_read(self._handle, _CPSR)

    def pc_and_cpsr(self) -> tuple[int, int]:
        """PC and CPSR, read together (one call of the engine)."""
        pc, cpsr = read_batch(self._handle, _PC_CPSR)
        return pc, cpsr

    def r0_to_r3(self) -> tuple[int, int, int, int]:
        """r0-r3 read together (a call's function number and arguments)."""
        r0, r1, r2, r3 = read_batch(self._handle, _R0_TO_R3)
        return r0, r1, r2, r3

    def syndrome(self) -> int:
        """The engine's exception syndrome (ESR) of the last UNDEF or trap, then cleared."""
        value = reg_read(self._handle, _ESR)
        self._write(_ESR, 0)
        return value

    def enter_exception(self, cpsr: int, spsr: int, lr: int, target: int) -> None:
        """Exception entry in one call of the engine: CPSR (the new mode, whose banked SPSR and
        LR are written next), SPSR, LR, then PC = ``target`` in the state CPSR.T selects."""
        pc = (target & ~1) | (1 if cpsr & CPSR_T else 0)
        write_batch(self._handle, _EXCEPTION_ENTRY, cpsr, spsr, lr, pc)

    @property
    def thumb(self) -> bool:
        """True while executing T32 code."""
        return bool(self.cpsr & CPSR_T)

    @property
    def mode(self) -> int:
        """CPSR.M of the current mode."""
        return self.cpsr & CPSR_MODE_MASK

    def read_memory(self, address: int, length: int) -> bytes:
        """Bytes at ``address`` as the engine maps it (no guest MMU translation)."""
        return bytes(self._uc.mem_read(address, length))

    def fetch(self, address: int, length: int) -> bytes | None:
        """Code bytes at virtual ``address`` through the guest's MMU; None if not all mapped."""
        return try_read_code(self._uc, address, length)

    def snapshot(self) -> dict[str, int]:
        """All general registers and CPSR of the current mode, by name."""
        names = {reg.name: self[reg] for reg in GENERAL_REGISTERS}
        names["CPSR"] = self.cpsr
        return names
