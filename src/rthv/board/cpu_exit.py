"""Why a ``CpuCore`` run returned, and the instruction it stopped at."""

from __future__ import annotations

import enum
from typing import NamedTuple

from rthv.board.decode import CoprocessorAccess


class ExitKind(enum.Enum):
    """Why ``CpuCore.run`` returned."""

    BUDGET = "budget"
    SLICE = "slice"
    IRQ_UNMASKED = "irq-unmasked"
    WFI = "wfi"
    SVC = "svc"
    UNDEFINED = "undefined"
    HVC = "hvc"
    SMC = "smc"
    COPROCESSOR = "coprocessor"
    DATA_ABORT = "data-abort"
    PREFETCH_ABORT = "prefetch-abort"
    WATCHED = "watched"  # about to execute a watched instruction (a debugger's breakpoint)


class CpuExit(NamedTuple):
    """What stopped the core. ``pc`` is the address of the instruction concerned.

    For BUDGET/SLICE/IRQ_UNMASKED/WFI it is the next instruction to execute; for SVC, UNDEFINED,
    HVC, COPROCESSOR and aborts it is the instruction that raised the exit (not yet retired,
    except SVC). ``unmapped`` aborts found no memory below the CPU (a bus error bare-metal, a
    Stage-2 fault under a hypervisor); ``permission`` aborts hit a mapping without that right.
    An abort raised by the guest's own MMU walk carries the ``fault_status`` (the DFSR/IFSR
    value) and ``address`` (DFAR/IFAR) the walk produced.

    A named tuple, not a frozen dataclass: immutable all the same, and built at every exit of
    the engine for a fraction of the cost.
    """

    kind: ExitKind
    pc: int
    thumb: bool
    address: int = 0
    write: bool = False
    size: int = 0
    value: int = 0
    unmapped: bool = False
    permission: bool = False
    hvc_imm: int = 0
    coprocessor: CoprocessorAccess | None = None
    fault_status: int | None = None
