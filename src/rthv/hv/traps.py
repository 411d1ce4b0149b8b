"""Trap handlers, one per exception class, as the Hyp vector would dispatch them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rthv.board.cpu import CpuExit, ExitKind
from rthv.board.exceptions import ExceptionKind, take_exception
from rthv.board.registers import Reg
from rthv.board.trap_emulation import emulate_coprocessor, skip_instruction
from rthv.hv.hypercalls import (
    ABI_VERSION,
    HVC_IMMEDIATE,
    Hypercall,
    HypercallError,
    as_register,
)
from rthv.hv.psci import PsciAction, PsciStatus, is_psci, psci_call
from rthv.hv.vm import Vm, access_of

if TYPE_CHECKING:
    from rthv.hv.hypervisor import Hypervisor

HVC_WIDTH = 4  # HVC and SMC are 32-bit instructions in both ARM and T32

TrapHandler = Callable[["Hypervisor", Vm, CpuExit], None]


def hypercall(hv: Hypervisor, vm: Vm, exit: CpuExit) -> None:
    """HVC: run the call, put the status in r0, continue after the HVC."""
    regs = vm.core.regs
    function = regs[Reg.R0]
    if is_psci(function) and exit.hvc_imm == HVC_IMMEDIATE:
        firmware_call(hv, vm, exit)
        return
    vm.counters.hypercalls += 1
    hv.machine.charge(hv.costs.hypercall)
    status: int
    woken: Vm | None = None
    if exit.hvc_imm != HVC_IMMEDIATE:
        status = HypercallError.NOSYS
    elif function == Hypercall.VERSION:
        status = ABI_VERSION
    elif function == Hypercall.VM_ID:
        status = vm.index
    elif function == Hypercall.NOTIFY:
        status, woken = hv.ipc.notify(vm, regs[Reg.R1])
    else:
        status = HypercallError.NOSYS
    if status < 0:
        vm.counters.hypercall_errors += 1
    hv.record("hvc", vm, f"fn={function} status={status}")
    regs[Reg.R0] = as_register(status)
    regs[Reg.PC] = exit.pc + HVC_WIDTH
    hv.machine.retire_emulated(vm.core)
    if woken is not None:
        hv.deliver(woken)


def secure_monitor_call(hv: Hypervisor, vm: Vm, exit: CpuExit) -> None:
    """SMC: PSCI, as through HVC; anything else is UNDEFINED, as on a board with no monitor."""
    if is_psci(vm.core.regs[Reg.R0]):
        firmware_call(hv, vm, exit)
    else:
        take_exception(vm.core.regs, ExceptionKind.UNDEFINED, exit.pc)


def firmware_call(hv: Hypervisor, vm: Vm, exit: CpuExit) -> None:
    """A PSCI call through HVC or SMC (docs/hypercalls.md)."""
    regs = vm.core.regs
    function = regs[Reg.R0]
    if exit.kind is ExitKind.HVC:
        vm.counters.hypercalls += 1
    hv.machine.charge(hv.costs.hypercall)
    hv.machine.retire_emulated(vm.core)
    action, status = psci_call(function)
    hv.record(exit.kind.value, vm, f"psci fn={function:#x} status={status}")
    if action is PsciAction.POWER_OFF:
        hv.power_off(vm, "PSCI SYSTEM_OFF")
    elif action is PsciAction.RESET:
        hv.reset_vm(vm, "PSCI SYSTEM_RESET")
    else:
        if status == PsciStatus.NOT_SUPPORTED:
            vm.counters.hypercall_errors += 1
        regs[Reg.R0] = as_register(status)
        regs[Reg.PC] = exit.pc + HVC_WIDTH


def wait_for_interrupt(hv: Hypervisor, vm: Vm, _exit: CpuExit) -> None:
    """WFI: the vCPU waits unless one of its interrupts is already deliverable."""
    vm.counters.wfi += 1
    if hv.machine.gicv.virq_out.level or vm.vgic.has_deliverable():
        return
    hv.scheduler.vm_waits(vm.handle)


def timer_access(hv: Hypervisor, vm: Vm, exit: CpuExit) -> None:
    """A trapped generic-timer access: served by the vCPU's own architected timer."""
    regs = vm.core.regs
    if exit.coprocessor is not None and emulate_coprocessor(regs, exit.coprocessor, vm.timer):
        skip_instruction(regs, exit)
        hv.machine.retire_emulated(vm.core)
        if not exit.coprocessor.read:
            hv.resample_timer(vm)
    else:
        take_exception(regs, ExceptionKind.UNDEFINED, exit.pc)


def stage2_abort(hv: Hypervisor, vm: Vm, exit: CpuExit) -> None:
    """A Stage-2 fault: writes to the VM's ROM are ignored; anything else stops the VM."""
    if exit.permission and exit.write and _in_rom(vm, exit.address):
        skip_instruction(vm.core.regs, exit)
        hv.machine.retire_emulated(vm.core)
        return
    kind = "permission" if exit.permission else "translation"
    hv.stop_vm(vm, f"Stage-2 {kind} fault", exit.pc, exit.address, access_of(exit))


def _in_rom(vm: Vm, address: int) -> bool:
    return any(r.kind == "rom" and r.ipa <= address < r.end for r in vm.config.memory)


TRAP_HANDLERS: dict[ExitKind, TrapHandler] = {
    ExitKind.HVC: hypercall,
    ExitKind.SMC: secure_monitor_call,
    ExitKind.WFI: wait_for_interrupt,
    ExitKind.COPROCESSOR: timer_access,
    ExitKind.DATA_ABORT: stage2_abort,
    ExitKind.PREFETCH_ABORT: stage2_abort,
}
