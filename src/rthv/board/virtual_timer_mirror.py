"""The guest's virtual timer, which the engine runs natively, mirrored into the board's model.

The engine computes CNTVCT, TVAL and ISTATUS itself, on virtual time; the ``GenericTimer`` model
raises the interrupt at CVAL. This module brings the model up to the guest's writes.
"""

from __future__ import annotations

from unicorn.unicorn_py3.unicorn import Uc

from rthv.board.decode import CoprocessorAccess, condition_passed, decode_coprocessor, fetch_word
from rthv.board.generic_timer import GenericTimer, GenericTimerRegister
from rthv.board.guest_code import read_code
from rthv.board.icount_state import IcountState
from rthv.board.registers import CNTV_CTL, CNTV_CVAL, GENERAL_REGISTERS, Registers

_DROPPED_WRITES = (GenericTimerRegister.CNTV_CTL, GenericTimerRegister.CNTV_CVAL)


def _names(access: CoprocessorAccess) -> GenericTimerRegister | None:
    return GenericTimer.lookup(
        access.coproc, access.opc1, access.crn, access.crm, access.opc2, access.is64
    )


def mirror_virtual_timer(timer: GenericTimer, regs: Registers, state: IcountState, uc: Uc) -> None:
    """Bring the virtual timer model (and the engine's CTL, CVAL) up to the guest's writes.

    The engine drops a guest's CNTV_CTL and CNTV_CVAL writes. It keeps TVAL ones, with
    CVAL computed from the virtual count at the writing instruction. A write ends its
    block, so right after one (PC at the end of the block just run) the instruction
    before PC is the write and its registers still hold the value: CTL and CVAL writes
    are carried out here, as of that instruction.
    """
    pc, thumb = regs.pc, regs.thumb
    if state.block_size and pc == state.block_start + state.block_size:
        word = fetch_word(read_code(uc, pc - 4, 4), thumb)
        access = decode_coprocessor(word, thumb)
        name = None if access is None or access.read else _names(access)
        if (
            access is not None
            and name in _DROPPED_WRITES
            and condition_passed(word, regs.cpsr, thumb)
        ):
            value = regs[GENERAL_REGISTERS[access.rt]]
            if access.is64:
                value |= regs[GENERAL_REGISTERS[access.rt2]] << 32
            timer.write_register(name, value)
            regs.set_sys64(CNTV_CVAL, timer.read_register(GenericTimerRegister.CNTV_CVAL))
            return  # the model's update wrote the engine's CTL (with ISTATUS)
    timer.mirror_virtual(regs.sys(CNTV_CTL), regs.sys64(CNTV_CVAL))
