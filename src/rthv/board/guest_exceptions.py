"""What the hardware does for an exit that is the guest's own business (PL1), which exits go
to PL2 instead, and how a guest that can never make progress again is recognised."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from rthv.board.cpu import CpuCore
from rthv.board.cpu_exit import CpuExit, ExitKind
from rthv.board.exceptions import (
    FSR_SYNC_EXTERNAL_ABORT,
    ExceptionKind,
    record_data_abort,
    record_prefetch_abort,
    record_walk_fault,
    take_exception,
)
from rthv.board.timing import InsnClass
from rthv.board.trap_emulation import emulate_coprocessor, skip_instruction

if TYPE_CHECKING:
    from rthv.board.machine import Machine

# Synchronous exceptions in a row with no instruction retired between them: the guest can never
# make progress again (e.g. a prefetch abort at a vector with no code behind it).
LOCKUP_ENTRIES: Final = 8


def take_guest_exception(machine: Machine, core: CpuCore, exit: CpuExit) -> None:
    """Enter the guest's exception vector for ``exit``, or emulate what the board serves (a
    generic-timer access, a write to flash)."""
    regs = core.regs
    kind = exit.kind
    if kind is ExitKind.SVC:
        take_exception(regs, ExceptionKind.SVC, exit.pc)
    elif kind is ExitKind.COPROCESSOR and exit.coprocessor is not None:
        if emulate_coprocessor(regs, exit.coprocessor, machine.generic_timer):
            skip_instruction(regs, exit)
            machine.retire_emulated(core, InsnClass.SYSTEM)
        else:
            take_exception(regs, ExceptionKind.UNDEFINED, exit.pc)
    elif kind in (ExitKind.UNDEFINED, ExitKind.HVC, ExitKind.SMC, ExitKind.COPROCESSOR):
        take_exception(regs, ExceptionKind.UNDEFINED, exit.pc)
    elif exit.fault_status is not None:  # an abort raised by the guest's own MMU walk
        data = kind is ExitKind.DATA_ABORT
        record_walk_fault(regs, data, exit.fault_status, exit.address)
        take_exception(
            regs, ExceptionKind.DATA_ABORT if data else ExceptionKind.PREFETCH_ABORT, exit.pc
        )
    elif kind is ExitKind.DATA_ABORT and exit.permission and _in_rom(machine, exit.address):
        skip_instruction(regs, exit)  # flash: writes are ignored, as by a flash in read mode
        machine.retire_emulated(core, InsnClass.STORE)
    elif kind is ExitKind.DATA_ABORT:
        record_data_abort(regs, exit.address, FSR_SYNC_EXTERNAL_ABORT, exit.write)
        take_exception(regs, ExceptionKind.DATA_ABORT, exit.pc)
    elif kind is ExitKind.PREFETCH_ABORT:
        record_prefetch_abort(regs, exit.address or exit.pc, FSR_SYNC_EXTERNAL_ABORT)
        take_exception(regs, ExceptionKind.PREFETCH_ABORT, exit.pc)


def _in_rom(machine: Machine, address: int) -> bool:
    return any(r.base <= address < r.base + r.size for r in machine.rom)


class LockupWatch:
    """Counts exception entries in a row at which no instruction retired since the last one."""

    def __init__(self) -> None:
        self._stalled_entries = 0
        self._last_entry_mark: tuple[str, int] = ("", -1)

    def locked_up(self, core: CpuCore) -> bool:
        """Note an entry on ``core``; True (and counting afresh) at the LOCKUP_ENTRIES-th in a
        row without progress."""
        mark = (core.name, core.counter.executed)
        self._stalled_entries = self._stalled_entries + 1 if mark == self._last_entry_mark else 0
        self._last_entry_mark = mark
        if self._stalled_entries < LOCKUP_ENTRIES:
            return False
        self._stalled_entries = 0
        return True


# What the hardware always takes to PL2 under a hypervisor: HVC, SMC (HCR.TSC), WFI (HCR.TWI)
# and generic-timer accesses (CNTHCTL.PL1PCEN = 0); and the aborts, when Stage 2 refused them.
_ALWAYS_TO_PL2: Final = (ExitKind.HVC, ExitKind.SMC, ExitKind.WFI, ExitKind.COPROCESSOR)
_ABORTS: Final = (ExitKind.DATA_ABORT, ExitKind.PREFETCH_ABORT)


def is_hyp_trap(exit: CpuExit) -> bool:
    """Whether the hardware takes ``exit`` to PL2 under a hypervisor."""
    kind = exit.kind
    if kind in _ALWAYS_TO_PL2:
        return True
    return kind in _ABORTS and (exit.unmapped or exit.permission)
