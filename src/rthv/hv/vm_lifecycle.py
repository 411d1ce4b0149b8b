"""What happens to a VM that faults, switches itself off or asks for a reset.

``VmLifecycle`` applies a VM's fault policy (``fault``: stop it for good, inject the abort into
the guest, or restart it from its images), reports every case in the trace and on the
hypervisor's console, and tells the VM's supervisor (``fault_notify``). The other VMs go on.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path

from rthv.board.cpu_exit import CpuExit
from rthv.board.guest_errors import IN_FULL
from rthv.board.machine import Machine
from rthv.board.registers import Reg
from rthv.hv.config import SystemConfig
from rthv.hv.fault_policy import clear_memory, inject_abort, injectable
from rthv.hv.images import enter, place_vm_images
from rthv.hv.ipc import NotifyChannels
from rthv.hv.scheduling.framework import Scheduler
from rthv.hv.trace_log import AccessIgnored, TraceEvent, VmFaulted, VmReset, VmRestarted
from rthv.hv.vm import Vm, VmFault

REPEATS_IN_FULL = 3  # restarts, and aborts injected, of one VM reported line by line


class VmLifecycle:
    """Stops, restarts and resets VMs and reports it; the hypervisor's ``TrapContext`` calls
    land here (``stop_vm``, ``power_off``, ``reset_vm``, ``report_ignored``)."""

    def __init__(
        self,
        config: SystemConfig,
        machine: Machine,
        scheduler: Scheduler,
        ipc: NotifyChannels,
        *,
        record: Callable[[TraceEvent], None],
        say: Callable[[str], None],
        deliver: Callable[[Vm], None],
    ) -> None:
        self.config = config
        self.machine = machine
        self.scheduler = scheduler
        self.ipc = ipc
        self._record = record
        self._say = say
        self._deliver = deliver
        # Every fault that stopped a VM, and the first REPEATS_IN_FULL restarts and injected
        # aborts of each VM, in order; ``fault_count`` counts them all.
        self.faults: list[VmFault] = []
        self.fault_count = 0
        self._injected_at: dict[str, int] = {}  # instruction count at a VM's last injected abort

    def stop_vm(
        self,
        vm: Vm,
        reason: str,
        pc: int,
        address: int = 0,
        access: str = "",  # "" when no memory access was involved
        *,
        internal: bool = False,
        clean: bool = False,
        exit: CpuExit | None = None,
    ) -> None:
        """A fault of ``vm``: stop it for good and report why, unless its fault policy injects
        the abort into the guest or restarts it. The other VMs go on."""
        action, policy = "stopped", vm.config.fault
        if not (internal or clean) and policy == "inject" and injectable(exit):
            progressed = self._injected_at.get(vm.name) != vm.core.counter.executed
            action = "injected" if progressed else "stopped"  # else its handler faults again
        elif not (internal or clean) and policy == "restart":
            action = "restarted"
        now = self.machine.clock.now()
        fault = VmFault(vm.name, reason, pc, address, access, now, internal, clean, action)
        self.fault_count += 1
        self._record(VmFaulted(now, vm.name, fault))
        repeats = {"restarted": vm.counters.restarts, "injected": vm.counters.injected_aborts}
        if repeats.get(action, 0) < REPEATS_IN_FULL:
            # A VM that keeps faulting: the rest are only counted (its restarts and injected
            # aborts, in the summary), so neither the console nor ``faults`` grows without end.
            self.faults.append(fault)
            self._say(fault.describe())
        if action == "injected" and exit is not None:
            vm.counters.injected_aborts += 1
            self._injected_at[vm.name] = vm.core.counter.executed
            inject_abort(vm, exit)
        elif action == "restarted":
            vm.counters.restarts += 1
            clear_memory(self.config, vm, self.machine.memory)
            self._reset_from_images(vm)
            self._record(VmRestarted(self.machine.clock.now(), vm.name, vm.counters.restarts))
        else:
            vm.fault = fault
            self.scheduler.vm_stopped(vm.handle)
        self._tell_supervisor(vm)

    def _tell_supervisor(self, vm: Vm) -> None:
        channel = vm.config.fault_notify
        if channel is not None:
            _status, woken = self.ipc.notify(vm, channel)
            if woken is not None:
                self._deliver(woken)

    def power_off(self, vm: Vm, how: str) -> None:
        """The guest switched its VM off: it stops for good, cleanly; the others go on."""
        self.stop_vm(vm, f"powered off ({how})", vm.core.regs.pc, clean=True)

    def reset_vm(self, vm: Vm, how: str) -> None:
        """The guest asked for a reset: its VM starts again from its images; the others go on."""
        self._reset_from_images(vm)
        event = VmReset(self.machine.clock.now(), vm.name, how)
        self._record(event)
        self._say(event.detail)

    def _reset_from_images(self, vm: Vm) -> None:
        entry = place_vm_images(self.config, vm.config, self.machine.memory)
        vm.core.reset()
        vm.vgic.reset()
        for control in ("CNTP_CTL", "CNTV_CTL"):
            vm.timer.write_register(control, 0)
        vm.interrupt_pending_since = None
        enter(vm.core, entry)

    def report_ignored(self, vm: Vm, register: str, detail: str) -> None:
        """A guest access that was ignored (per the GIC spec, or a device register the model
        lacks): the first few per VM and register in full, the rest only counted (for the
        summary); then go on."""
        seen = vm.counters.ignored_by_register[register] = (
            vm.counters.ignored_by_register.get(register, 0) + 1
        )
        if seen > IN_FULL:
            return
        pc, last_in_full = vm.core.regs[Reg.PC], seen == IN_FULL
        event = AccessIgnored(self.machine.clock.now(), vm.name, register, detail, pc, last_in_full)
        self._record(event)
        self._say(event.detail)

    def internal_error(self, vm: Vm, error: Exception, pc: int) -> None:
        """rthv failed while it served ``vm``: stop that VM, naming where it failed."""
        frames = traceback.extract_tb(error.__traceback__)
        where = f" in {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
        reason = f"internal error{where}: {type(error).__name__}: {error}"
        self.stop_vm(vm, reason, pc, internal=True)
