"""Trap handlers, one per exception class, as the Hyp vector would dispatch them.

Each handler gets the narrow ``TrapContext`` (the hypervisor's services), the trapping ``Vm`` and
the board's ``CpuExit``. The trap itself is already counted and charged by the dispatcher.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from rthv.board.cpu_exit import CpuExit, ExitKind
from rthv.board.decode import CoprocessorAccess
from rthv.board.exceptions import ExceptionKind, take_exception
from rthv.board.generic_timer import GenericTimerRegister
from rthv.board.registers import Reg
from rthv.board.trap_emulation import access_timer, skip_instruction, timer_register
from rthv.hv.hypercalls import HVC_IMMEDIATE, HypercallError, as_register, hypercall_handler
from rthv.hv.psci import PsciStatus, is_psci, psci_handler
from rthv.hv.trace_log import Note, PsciCalled
from rthv.hv.trap_context import TrapContext
from rthv.hv.vm import Vm, access_of

HVC_WIDTH: Final = 4  # HVC and SMC are 32-bit instructions in both ARM and T32

TrapHandler = Callable[[TrapContext, Vm, CpuExit], None]


class _Call:
    """One hypercall as its handler sees it (a ``HypercallContext``); a notified peer is
    delivered to after the call has returned to the caller."""

    __slots__ = ("_ctx", "_vm", "woken")  # (one per hypercall)

    def __init__(self, ctx: TrapContext, vm: Vm) -> None:
        self._ctx = ctx
        self._vm = vm
        self.woken: Vm | None = None

    @property
    def vm_index(self) -> int:
        """The calling VM's number."""
        return self._vm.index

    def notify(self, channel: int) -> int:
        """Raise the channel's vIRQ in its peer; delivery waits until the call returns."""
        status, self.woken = self._ctx.notify(self._vm, channel)
        return status

    def record(self, kind: str, detail: str) -> None:
        """A trace event about the caller."""
        self._ctx.record(Note(self._ctx.now, self._vm.name, kind, detail))


class _FirmwareCall:
    """One PSCI call as its handler sees it (a ``PsciContext``); switching the VM off or
    resetting it waits until the call is traced."""

    def __init__(self, ctx: TrapContext, vm: Vm) -> None:
        self._ctx = ctx
        self._vm = vm
        self.then: Callable[[], None] | None = None  # what ends the call instead of returning

    def power_off(self, how: str) -> None:
        """Switch the calling VM off once the call is traced."""
        self.then = lambda: self._ctx.power_off(self._vm, how)

    def reset(self, how: str) -> None:
        """Reset the calling VM once the call is traced."""
        self.then = lambda: self._ctx.reset_vm(self._vm, how)


def hypercall(ctx: TrapContext, vm: Vm, exit: CpuExit) -> None:
    """HVC: run the call, put the status in r0, continue after the HVC."""
    function, r1, r2, r3 = vm.core.regs.r0_to_r3()
    if is_psci(function) and exit.hvc_imm == HVC_IMMEDIATE:
        firmware_call(ctx, vm, exit)
        return
    ctx.charge(ctx.costs.hypercall)
    call_hypervisor(ctx, vm, exit, function, (r1, r2, r3))


def call_hypervisor(
    ctx: TrapContext, vm: Vm, exit: CpuExit, function: int, args: tuple[int, int, int]
) -> None:
    """A hypercall that is not PSCI, ``function`` from r0 and ``args`` from r1-r3 (as read at
    the HVC), its cost charged already: status in r0, continue after the HVC, then deliver
    to a notified peer."""
    regs = vm.core.regs
    vm.counters.hypercalls += 1
    handler = hypercall_handler(function, exit.hvc_imm)
    call = _Call(ctx, vm)
    status: int = HypercallError.NOSYS
    if handler is not None:
        status = handler(call, args)
    if status < 0:
        vm.counters.hypercall_errors += 1
    ctx.hypercall_made(vm, function, status)
    regs.return_with(as_register(status), exit.pc + HVC_WIDTH, exit.thumb)
    ctx.retire(vm)
    if call.woken is not None:
        ctx.deliver(call.woken)


def secure_monitor_call(ctx: TrapContext, vm: Vm, exit: CpuExit) -> None:
    """SMC: PSCI, as through HVC; anything else is UNDEFINED, as on a board with no monitor."""
    if is_psci(vm.core.regs[Reg.R0]):
        firmware_call(ctx, vm, exit)
    else:
        take_exception(vm.core.regs, ExceptionKind.UNDEFINED, exit.pc)


def firmware_call(ctx: TrapContext, vm: Vm, exit: CpuExit) -> None:
    """A PSCI call through HVC or SMC (docs/hypercalls.md)."""
    regs = vm.core.regs
    function = regs[Reg.R0]
    if exit.kind is ExitKind.HVC:
        vm.counters.hypercalls += 1
    ctx.charge(ctx.costs.hypercall)
    ctx.retire(vm)
    handler = psci_handler(function)
    call = _FirmwareCall(ctx, vm)
    status: int = PsciStatus.NOT_SUPPORTED
    if handler is not None:
        status = handler(call, (regs[Reg.R1], regs[Reg.R2], regs[Reg.R3]))
    ctx.record(PsciCalled(ctx.now, vm.name, exit.kind.value, function, status))
    if call.then is not None:
        call.then()
        return
    if status == PsciStatus.NOT_SUPPORTED:
        vm.counters.hypercall_errors += 1
    regs[Reg.R0] = as_register(status)
    regs[Reg.PC] = exit.pc + HVC_WIDTH


def wait_for_interrupt(ctx: TrapContext, vm: Vm, _exit: CpuExit) -> None:
    """WFI: the vCPU waits unless one of its interrupts is already deliverable."""
    vm.counters.wfi += 1
    ctx.wait(vm)


def timer_access(ctx: TrapContext, vm: Vm, exit: CpuExit) -> None:
    """A trapped generic-timer access: served by the vCPU's own architected timer."""
    access = exit.coprocessor
    name = None if access is None else timer_register(vm.core.regs, access)
    if access is None or name is None:
        take_exception(vm.core.regs, ExceptionKind.UNDEFINED, exit.pc)
    else:
        _serve_timer_access(ctx, vm, exit, access, name)


def timer_access_in_place(ctx: TrapContext, vm: Vm, exit: CpuExit) -> bool:
    """``timer_access`` with the trap counted, for an access that reaches a timer register,
    done while the vCPU's run goes on; False, with nothing done, for one that is UNDEFINED."""
    access = exit.coprocessor
    name = None if access is None else timer_register(vm.core.regs, access)
    if access is None or name is None:
        return False
    ctx.trap_taken(vm)  # (before the access: a read sees the time after the trap's cost)
    _serve_timer_access(ctx, vm, exit, access, name)
    return True


def _serve_timer_access(
    ctx: TrapContext,
    vm: Vm,
    exit: CpuExit,
    access: CoprocessorAccess,
    name: GenericTimerRegister,
) -> None:
    regs = vm.core.regs
    access_timer(regs, access, name, vm.timer)
    skip_instruction(regs, exit)
    ctx.retire(vm)
    if not access.read:
        ctx.resample_timer(vm)


def stage2_abort(ctx: TrapContext, vm: Vm, exit: CpuExit) -> None:
    """A Stage-2 fault: writes to the VM's ROM are ignored; anything else stops the VM."""
    if exit.permission and exit.write and _in_rom(vm, exit.address):
        skip_instruction(vm.core.regs, exit)
        ctx.retire(vm)
        return
    kind = "permission" if exit.permission else "translation"
    ctx.stop_vm(vm, f"Stage-2 {kind} fault", exit.pc, exit.address, access_of(exit), exit=exit)


def _in_rom(vm: Vm, address: int) -> bool:
    return any(r.kind == "rom" and r.ipa <= address < r.end for r in vm.config.memory)


TRAP_HANDLERS: Final[dict[ExitKind, TrapHandler]] = {
    ExitKind.HVC: hypercall,
    ExitKind.SMC: secure_monitor_call,
    ExitKind.WFI: wait_for_interrupt,
    ExitKind.COPROCESSOR: timer_access,
    ExitKind.DATA_ABORT: stage2_abort,
    ExitKind.PREFETCH_ABORT: stage2_abort,
}
