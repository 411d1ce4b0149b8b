"""The virtual timer model follows the guest's CNTV writes, which the engine itself drops."""

from __future__ import annotations

from rthv.board.generic_timer import CTL_ENABLE, GenericTimer, GenericTimerRegister
from rthv.board.registers import CNTV_CTL, CNTV_CVAL, Reg
from rthv.board.virtual_timer_mirror import mirror_virtual_timer
from support import TimeBench, assemble, core_with_code

BASE = 0x8000_0000
R = GenericTimerRegister


def test_a_cval_write_ending_the_block_is_carried_out_from_its_registers() -> None:
    """Right after a block ended by MCRR to CNTV_CVAL, the model takes r0/r1 as the new CVAL,
    and the engine's CVAL is set to match."""
    bench = TimeBench()
    timer = GenericTimer(bench.clock, bench.events)
    core = core_with_code(assemble("mcrr p15, 3, r0, r1, c14\nnop"))
    core.regs[Reg.R0], core.regs[Reg.R1] = 0x1234, 0x5
    core.regs.branch(BASE + 4, False)
    state = core.counter.state
    state.block_start, state.block_size = BASE, 4
    mirror_virtual_timer(timer, core.regs, state, core.uc)
    assert timer.read_register(R.CNTV_CVAL) == 0x5_0000_1234
    assert core.regs.sys64(CNTV_CVAL) == 0x5_0000_1234


def test_elsewhere_the_model_takes_the_engines_own_ctl_and_cval() -> None:
    """Not right after a CNTV write (the PC inside the block), the engine's values are the
    truth: the model mirrors them."""
    bench = TimeBench()
    timer = GenericTimer(bench.clock, bench.events)
    core = core_with_code(assemble("mcrr p15, 3, r0, r1, c14\nnop\nnop"))
    core.regs[Reg.R0] = 0x1234
    core.regs.set_sys64(CNTV_CVAL, 777)
    core.regs.set_sys(CNTV_CTL, CTL_ENABLE)
    core.regs.branch(BASE + 4, False)
    state = core.counter.state
    state.block_start, state.block_size = BASE, 8
    mirror_virtual_timer(timer, core.regs, state, core.uc)
    assert timer.read_register(R.CNTV_CVAL) == 777
    assert timer.virtual_enabled()
