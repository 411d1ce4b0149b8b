"""The trap context: handlers need nothing but it, so a fake one drives them in a test."""

from __future__ import annotations

from pathlib import Path

from hv_support import boot, vm_toml, write_system
from rthv.board.cpu_exit import CpuExit, ExitKind
from rthv.board.registers import Reg
from rthv.hv.costs import CostTable
from rthv.hv.trace_log import HypercallMade, TraceEvent
from rthv.hv.trap_context import TrapContext
from rthv.hv.traps import hypercall, stage2_abort, wait_for_interrupt
from rthv.hv.vm import Vm

RAM = 0x8000_0000


class FakeContext:
    """A TrapContext that only writes down what the handlers asked of it."""

    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []
        self.costs = CostTable()
        self.now = 77  # virtual time stands still in a fake

    def trap_taken(self, vm: Vm, cycles: int = 0) -> None:
        self.calls.append(("trap_taken", vm.name, cycles))

    def charge(self, cycles: int) -> None:
        self.calls.append(("charge", cycles))

    def record(self, event: TraceEvent) -> None:
        self.calls.append(("record", event))

    def hypercall_made(self, vm: Vm, function: int, status: int) -> None:
        self.record(HypercallMade(self.now, vm.name, function, status))

    def retire(self, vm: Vm) -> None:
        self.calls.append(("retire", vm.name))

    def deliver(self, vm: Vm) -> None:
        self.calls.append(("deliver", vm.name))

    def wait(self, vm: Vm) -> None:
        self.calls.append(("wait", vm.name))

    def notify(self, sender: Vm, channel: int) -> tuple[int, Vm | None]:
        self.calls.append(("notify", sender.name, channel))
        return 0, None

    def resample_timer(self, vm: Vm) -> None:
        self.calls.append(("resample_timer", vm.name))

    def stop_vm(
        self,
        vm: Vm,
        reason: str,
        pc: int,
        address: int,
        access: str,
        *,
        exit: CpuExit | None = None,
    ) -> None:
        self.calls.append(("stop_vm", vm.name, reason, address))

    def power_off(self, vm: Vm, how: str) -> None:
        self.calls.append(("power_off", vm.name, how))

    def reset_vm(self, vm: Vm, how: str) -> None:
        self.calls.append(("reset_vm", vm.name, how))

    def report_ignored(self, vm: Vm, register: str, detail: str) -> None:
        self.calls.append(("report_ignored", vm.name, register))


def _vm(tmp_path: Path) -> Vm:
    return boot(write_system(tmp_path, vm_toml("a", "hello"))).hypervisor.vms["a"]


def test_the_handlers_run_on_a_fake_context(tmp_path: Path) -> None:
    """WFI waits, an unmapped access stops the VM, a hypercall charges, traces and retires."""
    vm, ctx = _vm(tmp_path), FakeContext()
    fake: TrapContext = ctx
    wait_for_interrupt(fake, vm, CpuExit(ExitKind.WFI, RAM, False))
    abort = CpuExit(ExitKind.DATA_ABORT, RAM, False, address=0x1234_0000, unmapped=True)
    stage2_abort(fake, vm, abort)
    vm.core.regs[Reg.R0] = 2  # VM_ID
    hypercall(fake, vm, CpuExit(ExitKind.HVC, RAM, False))
    assert ctx.calls == [
        ("wait", "a"),
        ("stop_vm", "a", "Stage-2 translation fault", 0x1234_0000),
        ("charge", ctx.costs.hypercall),
        ("record", HypercallMade(77, "a", function=2, status=0)),
        ("retire", "a"),
    ]
    assert (vm.core.regs[Reg.R0], vm.core.regs[Reg.PC]) == (0, RAM + 4)
