"""What happens to a VM that faults, by its configured policy: stop it, deliver the fault into
it as an abort, or reset it from its images while its peers run on (the hypervisor's reset)."""

from __future__ import annotations

from rthv.board.cpu_exit import CpuExit, ExitKind
from rthv.board.exceptions import (
    FSR_SYNC_EXTERNAL_ABORT,
    ExceptionKind,
    record_data_abort,
    record_prefetch_abort,
    take_exception,
)
from rthv.board.memory import PhysicalMemory
from rthv.hv.config import SystemConfig
from rthv.hv.images import ipa_to_pa
from rthv.hv.vm import Vm


def injectable(exit: CpuExit | None) -> bool:
    """True for faults the architecture would deliver to the guest as an abort."""
    return exit is not None and exit.kind in (ExitKind.DATA_ABORT, ExitKind.PREFETCH_ABORT)


def inject_abort(vm: Vm, exit: CpuExit) -> None:
    """Deliver a Stage-2 fault to the guest as a synchronous external abort, as hardware with no
    memory at that address would: DFSR/DFAR (or IFSR/IFAR) set, the abort vector taken."""
    regs = vm.core.regs
    if exit.kind is ExitKind.DATA_ABORT:
        record_data_abort(regs, exit.address, FSR_SYNC_EXTERNAL_ABORT, exit.write)
        take_exception(regs, ExceptionKind.DATA_ABORT, exit.pc)
    else:
        record_prefetch_abort(regs, exit.address or exit.pc, FSR_SYNC_EXTERNAL_ABORT)
        take_exception(regs, ExceptionKind.PREFETCH_ABORT, exit.pc)


def clear_memory(config: SystemConfig, vm: Vm, memory: PhysicalMemory) -> None:
    """Zero the VM's own RAM and ROM (not shared memory) before its images go back in."""
    for region in vm.config.memory:
        pa = ipa_to_pa(config, vm.config, region.ipa, region.size)
        memory.write(pa, bytes(region.size))
