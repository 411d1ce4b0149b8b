"""Traps served inside the running slice: a trapped coprocessor access or HVC that need not end
the slice, served there by PL2 software or, on bare metal, by the board's generic-timer emulation.

In a block that writes a generic-timer register, the engine is to stop before the next block to
mirror the virtual timer (``CpuCore.mirror_virtual_timer``), after what the run loop does between
slices (due events, interrupts), as when the access ends the slice. With the virtual timer off
that mirror changes nothing (a CNTV write ends its block, so none precedes the access in its
block, and any earlier one was mirrored before this block began): the access is served and the
stop dropped. Else the access ends the slice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rthv.board.cpu import CpuCore
from rthv.board.cpu_exit import CpuExit
from rthv.board.timing import InsnClass
from rthv.board.trap_emulation import emulate_coprocessor, skip_instruction

if TYPE_CHECKING:
    from rthv.board.machine import Machine


def serve_in_slice(machine: Machine, core: CpuCore, exit: CpuExit) -> bool:
    """Serve ``exit`` of ``core``, running in ``machine``'s slice, where it trapped: True when
    served (PC moved on, the instruction retired), False to let it end the slice. If serving it
    took the core off the CPU (a world switch, nothing left to run), the slice ends there."""
    state = core.counter.state
    sync = state.timer_sync
    if sync and core.virtual_timer is not None and core.virtual_timer.virtual_enabled():
        return False
    hyp = machine.hyp
    if hyp is not None:
        if not hyp.serve_in_place(exit):
            return False
        state.timer_sync = 0
        if machine.core is not core or machine.parked or machine.halted:
            core.end_run()
        return True
    access = exit.coprocessor
    if access is None:
        return False
    if not emulate_coprocessor(core.regs, access, machine.generic_timer):
        return False  # (not a timer register: nothing done, the exit raises UNDEF)
    skip_instruction(core.regs, exit)
    machine.retire_emulated(core, InsnClass.SYSTEM)
    state.timer_sync = 0
    return True
