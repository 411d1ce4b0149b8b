"""The ``CpuExit`` that an engine's hooks report: an exception the engine raised (SVC, a Stage-1
abort, SMC) and a memory access that found no mapping or lacked the right."""

from __future__ import annotations

import unicorn

from rthv.board.counter import InstructionCounter
from rthv.board.cpu_exit import CpuExit, ExitKind
from rthv.board.registers import Mode, Registers
from rthv.board.stage1_fault import Stage1FaultReader

UC_INTR_SVC = 2
UC_INTR_PREFETCH_ABORT = 3
UC_INTR_DATA_ABORT = 4
UC_INTR_SMC = 13
SMC_WIDTH = 4  # SMC is a 32-bit instruction in ARM and in T32
_FSR_WNR = 1 << 11


def interrupt_exit(
    intno: int,
    pc: int,
    thumb: bool,
    counter: InstructionCounter,
    regs: Registers,
    stage1: Stage1FaultReader,
) -> CpuExit:
    """The exit of the engine's interrupt ``intno`` raised at ``pc`` (the count rewound to the
    instruction that did not retire)."""
    if intno == UC_INTR_SVC:
        width = 2 if thumb else 4
        return CpuExit(ExitKind.SVC, pc - width, thumb)
    if intno in (UC_INTR_DATA_ABORT, UC_INTR_PREFETCH_ABORT):
        counter.rewind_to(pc)
        data = intno == UC_INTR_DATA_ABORT
        kind = ExitKind.DATA_ABORT if data else ExitKind.PREFETCH_ABORT
        walk = stage1.read()  # the engine raises these only for Stage-1 walk faults
        write = data and bool(walk.status & _FSR_WNR)
        return CpuExit(kind, pc, thumb, address=walk.address, write=write, fault_status=walk.status)
    if intno == UC_INTR_SMC:
        # The engine reports SMC with PC past the (always 32-bit) instruction, which it has
        # not retired. At PL1 it is an SMC exit (PL2 traps it with HCR.TSC; a bare board
        # without Security Extensions makes it UNDEFINED); at PL0 it is UNDEFINED.
        counter.rewind_to(pc - SMC_WIDTH)
        kind = ExitKind.UNDEFINED if regs.mode == Mode.USR else ExitKind.SMC
        return CpuExit(kind, pc - SMC_WIDTH, thumb)
    return CpuExit(ExitKind.UNDEFINED, pc, thumb)


def memory_fault_exit(
    access: int, address: int, size: int, value: int, regs: Registers, *, unmapped: bool
) -> CpuExit:
    """The abort of an access (Unicorn's ``UC_MEM_*`` kind) at ``address`` that found no memory
    (``unmapped``) or a mapping without that right, at the PC the engine reports."""
    fetch = access in (unicorn.UC_MEM_FETCH_UNMAPPED, unicorn.UC_MEM_FETCH_PROT)
    write = access in (unicorn.UC_MEM_WRITE_UNMAPPED, unicorn.UC_MEM_WRITE_PROT)
    kind = ExitKind.PREFETCH_ABORT if fetch else ExitKind.DATA_ABORT
    return CpuExit(
        kind,
        regs.pc,
        regs.thumb,
        address=address,
        write=write,
        size=size,
        value=value if write else 0,
        unmapped=unmapped,
        permission=not unmapped,
    )


def fault_exit_at(fault: CpuExit, pc: int) -> CpuExit:
    """``fault`` at ``pc``, where the engine stopped once the faulting access was refused."""
    return CpuExit(
        fault.kind,
        pc,
        fault.thumb,
        address=fault.address,
        write=fault.write,
        size=fault.size,
        value=fault.value,
        unmapped=fault.unmapped,
        permission=fault.permission,
    )
