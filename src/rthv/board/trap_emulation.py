"""Emulation of single trapped instructions: generic-timer coprocessor accesses, skipping."""

from __future__ import annotations

from rthv.board.cpu_exit import CpuExit
from rthv.board.decode import CoprocessorAccess
from rthv.board.generic_timer import GenericTimer, GenericTimerRegister
from rthv.board.guest_code import GuestMemoryError
from rthv.board.registers import CNTKCTL, GENERAL_REGISTERS, Mode, Registers
from rthv.board.thumb import is_wide_thumb

_MASK32 = 0xFFFFFFFF
# CNTKCTL bits that open a register to PL0 (ARM ARM B8.1.2): PL0PCTEN, PL0VCTEN (CNTFRQ: either
# counter), PL0VTEN, PL0PTEN. Anything else is UNDEFINED from PL0.
_PL0PCTEN, _PL0VCTEN, _PL0VTEN, _PL0PTEN = 1 << 0, 1 << 1, 1 << 8, 1 << 9
_PL0_ENABLES = {
    GenericTimerRegister.CNTPCT: _PL0PCTEN,
    GenericTimerRegister.CNTVCT: _PL0VCTEN,
    GenericTimerRegister.CNTFRQ: _PL0PCTEN | _PL0VCTEN,
    GenericTimerRegister.CNTP_CTL: _PL0PTEN,
    GenericTimerRegister.CNTP_CVAL: _PL0PTEN,
    GenericTimerRegister.CNTP_TVAL: _PL0PTEN,
    GenericTimerRegister.CNTV_CTL: _PL0VTEN,
    GenericTimerRegister.CNTV_CVAL: _PL0VTEN,
    GenericTimerRegister.CNTV_TVAL: _PL0VTEN,
}


def skip_instruction(regs: Registers, exit: CpuExit) -> None:
    """Advance PC past the instruction at ``exit.pc`` (a virtual address: the guest's MMU may
    be on). Raises ``GuestMemoryError`` if its first halfword cannot be read."""
    if exit.thumb:
        code = regs.fetch(exit.pc, 2)
        if code is None:
            raise GuestMemoryError(f"no instruction to skip at pc {exit.pc:#010x}")
        regs.branch(exit.pc + (4 if is_wide_thumb(int.from_bytes(code, "little")) else 2), True)
    else:
        regs.branch(exit.pc + 4, False)


def timer_register(regs: Registers, access: CoprocessorAccess) -> GenericTimerRegister | None:
    """The generic-timer register an MRC/MCR/MRRC/MCRR reaches in the CPU's current mode;
    None if it reaches none (the access is UNDEFINED)."""
    name = GenericTimer.lookup(
        access.coproc, access.opc1, access.crn, access.crm, access.opc2, access.is64
    )
    if name is None:
        return None
    if name == GenericTimerRegister.CNTVOFF and regs.mode != Mode.HYP:
        return None  # CNTVOFF is a Hyp register: from PL1 it is UNDEFINED
    if regs.mode == Mode.USR and not regs.sys(CNTKCTL) & _PL0_ENABLES.get(name, 0):
        return None  # PL0 reaches only what CNTKCTL opens to it
    return name


def emulate_coprocessor(regs: Registers, access: CoprocessorAccess, timer: GenericTimer) -> bool:
    """Carry out an MRC/MCR/MRRC/MCRR to a generic-timer register; False if it is not one."""
    name = timer_register(regs, access)
    if name is None:
        return False
    access_timer(regs, access, name, timer)
    return True


def access_timer(
    regs: Registers, access: CoprocessorAccess, name: GenericTimerRegister, timer: GenericTimer
) -> None:
    """Carry out an access to ``name``, the register ``timer_register`` found for it."""
    rt = GENERAL_REGISTERS[access.rt]
    if access.read:
        value = timer.read_register(name)
        regs[rt] = value & _MASK32
        if access.is64:
            regs[GENERAL_REGISTERS[access.rt2]] = (value >> 32) & _MASK32
    else:
        value = regs[rt]
        if access.is64:
            value |= regs[GENERAL_REGISTERS[access.rt2]] << 32
        timer.write_register(name, value)
