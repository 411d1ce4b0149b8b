"""rthv at PL2: boots a system configuration on the board and runs its VMs."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from functools import partial
from typing import Final

from rthv.board.cpu_exit import CpuExit, ExitKind
from rthv.board.gic import regs
from rthv.board.guest_code import GuestMemoryError
from rthv.board.guest_errors import GuestError
from rthv.board.machine import Machine
from rthv.board.run_result import InterruptRecord, RunResult
from rthv.hv.address_space import build_stage2
from rthv.hv.config import SystemConfig
from rthv.hv.hypervisor_memory import HypervisorMemory, hypervisor_memory
from rthv.hv.images import VmEntry, place_images
from rthv.hv.ipc import NotifyChannels
from rthv.hv.psci import is_psci
from rthv.hv.scheduling.errors import PolicyParameterError
from rthv.hv.scheduling.framework import Scheduler
from rthv.hv.scheduling.idle_stop import every_vm_waits_for_good
from rthv.hv.scheduling.registry import load_policy
from rthv.hv.scheduling.vm_handle import VmHandle, VmState
from rthv.hv.stage2 import Stage2Table
from rthv.hv.trace_log import RECENT_EVENTS, TraceEvent, TraceLog
from rthv.hv.traps import TRAP_HANDLERS, call_hypervisor, timer_access_in_place
from rthv.hv.vm import Vm, VmFault
from rthv.hv.vm_lifecycle import VmLifecycle
from rthv.hv.vm_setup import create_vm

# EnableGrp0 and EOImodeNS: EOIR only drops the priority; the guest's EOI deactivates (HW LR).
GICC_CTLR_SPLIT_EOI: Final = regs.GICC_CTLR_ENABLE_GRP0 | regs.GICC_CTLR_EOIMODE
ConsoleSink = Callable[[str, bytes], None]
HYPERVISOR_CONSOLE: Final = "rthv"


class Hypervisor:
    """The hypervisor: PL2 software for the board (implements ``rthv.board.hyp.Pl2Software``)."""

    def __init__(
        self,
        config: SystemConfig,
        *,
        console: ConsoleSink | None = None,
        native_counter: bool | None = None,
        full_trace: bool = False,
    ) -> None:
        """``full_trace``: keep every trace event (for an export); else only the recent ones."""
        self.config = config
        self.costs = config.costs
        self.board = config.board_description
        self._console = console
        self.vms: dict[str, Vm] = {}
        self.trace = TraceLog(None if full_trace else RECENT_EVENTS)
        self.irq_owner = {irq: vm.name for vm in config.vms for d in vm.devices for irq in d.irqs}
        self._irq_vm: dict[int, Vm] = {}  # irq_owner with the VMs themselves, once they exist
        self._irq_entry = self.costs.trap_entry_exit + self.costs.irq_entry  # charged per IRQ
        self._hvc_entry = self.costs.trap_entry_exit + self.costs.hypercall  # per hypercall
        self._trap_handlers = {kind.value: handler for kind, handler in TRAP_HANDLERS.items()}
        self.uart_owner = {d.name: vm.name for vm in config.vms for d in vm.devices}
        self.machine = Machine(
            self.board,
            frequency_hz=config.cpu_hz,
            timing=config.timing_profile,
            native_counter=native_counter,
            console=self._uart_output,
        )
        start, end = hypervisor_memory(self.board)
        self.table_memory = HypervisorMemory(start, end - start)
        self.ipc = NotifyChannels(config.channels, self.vms)
        self.scheduler = self._new_scheduler()
        self.idle_while_runnable = 0  # times the policy idled the CPU while VMs were runnable
        self.lifecycle = VmLifecycle(
            config,
            self.machine,
            self.scheduler,
            self.ipc,
            record=self.record,
            say=self._say,
            deliver=self.deliver,
        )
        self.stop_vm = self.lifecycle.stop_vm  # a fault of a VM: its fault policy applies

    def boot(self) -> None:
        """Bring the system up in a fixed order, as PL2 software on a real board would."""
        self._init_physical_gic()  # distributor and CPU interface on, EOI split
        entries = place_images(self.config, self.machine.memory)  # the boot loader's role
        tables = self._build_stage2_tables()  # one LPAE Stage-2 table per VM
        self._enable_maintenance_irq()  # passthrough IRQs go to their owners (irq_owner)
        self._create_vms(tables, entries)  # vCPUs, virtual GICs, per-vCPU timers
        self._start_scheduler()  # allocate, enque
        self._start()  # PL2 takes the CPU; the first VM runs

    # -- boot steps ---------------------------------------------------------------------------

    def _init_physical_gic(self) -> None:
        machine = self.machine
        machine.gicd.write(regs.GICD_CTLR, 4, regs.GICD_CTLR_ENABLE)
        machine.gicc.write(regs.GICC_CTLR, 4, GICC_CTLR_SPLIT_EOI)
        machine.gicc.write(regs.GICC_PMR, 4, regs.IDLE_PRIORITY)  # every priority unmasked

    def _build_stage2_tables(self) -> dict[str, Stage2Table]:
        return {
            vm.name: build_stage2(self.config, vm, self.board, self.table_memory, index + 1)
            for index, vm in enumerate(self.config.vms)
        }

    def _enable_maintenance_irq(self) -> None:
        gicd = self.machine.gicd
        maintenance = self.board.gic.maintenance_irq
        gicd.set_priority(maintenance, 0)
        gicd.set_enabled(maintenance, True)

    def _create_vms(self, tables: dict[str, Stage2Table], entries: dict[str, VmEntry]) -> None:
        for index, config in enumerate(self.config.vms):
            table, entry = tables[config.name], entries[config.name]
            self.vms[config.name] = create_vm(self, self.config, self.machine, index, table, entry)
        self._irq_vm = {irq: self.vms[name] for irq, name in self.irq_owner.items()}

    def _new_scheduler(self) -> Scheduler:
        settings = self.config.scheduler
        policy = load_policy(settings.policy, params=settings.params)
        fallback = load_policy(settings.fallback) if settings.fallback else None
        machine = self.machine
        scheduler = Scheduler(policy, machine.clock, machine.events, fallback=fallback)
        scheduler.on_switch(self._world_switch)
        return scheduler

    def _start_scheduler(self) -> None:
        for vm in self.vms.values():
            try:
                self.scheduler.add_vm(vm.handle, vm.config.sched)
            except PolicyParameterError as error:
                located = error.at(f"vm[{vm.index}].sched")
                located.__cause__ = None  # (``from None``: compiled code ignores ``from``)
                raise located  # noqa: B904

    def _start(self) -> None:
        self.machine.interrupt_observers.append(self._interrupt_taken)
        self.machine.guest_errors.observers.append(self._device_guest_error)
        self.machine.hyp = self
        self.machine.sleeps_for_good = partial(every_vm_waits_for_good, self.scheduler)
        self.machine.parked = True
        # The first pick (and its world switch) happens in the first run, so that a run to
        # time 0 ends at 0.
        self.machine.events.schedule(self.machine.clock.now(), self._first_pick)

    def _first_pick(self) -> None:
        self.scheduler.start()
        self._note_idle()

    def _note_idle(self) -> None:
        """Count the policy leaving the CPU idle while a VM wants it (it never passes silently)."""
        if self.scheduler.current is not None:
            return
        for vm in self.vms.values():  # (a loop: at every idle switch, no generator)
            if vm.handle.runnable:
                self.idle_while_runnable += 1
                return

    # -- running ------------------------------------------------------------------------------

    def run(
        self, until_ns: Fraction | int | None = None, *, max_slice: int | None = None
    ) -> RunResult:
        """Run the system until virtual time ``until_ns`` (or until nothing can happen)."""
        until = None if until_ns is None else self.machine.clock.from_ns(until_ns)
        return self.machine.run(until, max_slice=max_slice)

    @property
    def current(self) -> Vm | None:
        """The VM whose vCPU the physical CPU runs (None while parked)."""
        handle = self.scheduler.current
        return None if handle is None else self.vms[handle.name]

    @property
    def now(self) -> int:
        """Virtual time now, in cycles."""
        return self.machine.clock.now()

    def record(self, event: TraceEvent) -> None:
        """Append to the event trace."""
        self.trace.append(event)

    def hypercall_made(self, vm: Vm, function: int, status: int) -> None:
        """Trace ``vm``'s hypercall ``function`` and its ``status`` (a ``HypercallMade`` now)."""
        self.trace.hypercall_made(self.machine.clock.now(), vm.config.name, function, status)

    # -- what the board hands to PL2 ------------------------------------------------------------

    def physical_irq(self) -> None:
        """A physical IRQ: acknowledge, drop priority, hand it to its owner VM's virtual GIC."""
        machine = self.machine
        machine.charge(self._irq_entry)
        irq = machine.gicc.acknowledge_and_drop() & regs.IAR_ID_MASK  # IAR, then EOIR
        if irq == regs.SPURIOUS_ID:
            return
        if irq == self.board.gic.maintenance_irq:
            machine.charge(self.costs.maintenance)
            vm = self.current
            if vm is not None:
                self._charge_injections(vm, vm.vgic.list_registers.maintenance(machine.gich))
            machine.gicc.deactivate(irq)
            return
        owner = self._irq_vm.get(irq)
        if owner is None or owner.fault is not None:  # (no owner, or ``owner.stopped``)
            machine.gicd.set_enabled(irq, False)
            machine.gicc.deactivate(irq)
            return
        now = machine.clock.now()
        self.trace.irq_taken(now, owner.config.name, irq)  # (an ``IrqTaken``)
        if owner.handle is self.scheduler.current and not machine.parked:  # deliver's test
            injected = owner.vgic.list_registers.inject_arrived(irq, machine.gich)
            if injected is not None:  # physical_arrived, then deliver, in one step
                if owner.interrupt_pending_since is None:
                    owner.interrupt_pending_since = now
                if injected:  # (``_charge_injections``)
                    owner.counters.injections += injected
                    machine.charge(injected * self.costs.lr_injection)
                return
        if owner.vgic.physical_arrived(irq):
            self.deliver(owner)

    def trap(self, exit: CpuExit) -> None:
        """A trap from the running vCPU, dispatched by exception class."""
        vm = self.current
        if vm is None:  # pragma: no cover - a parked CPU executes nothing
            return
        vm.counters.traps += 1  # (``trap_taken``)
        self.machine.charge(self.costs.trap_entry_exit)
        try:
            self._trap_handlers[exit.kind._value_](self, vm, exit)  # (no Enum hash per trap)
        except Exception as error:
            self._trap_failed(vm, exit, error)

    def serve_in_place(self, exit: CpuExit) -> bool:
        """A generic-timer access or a hypercall of the running vCPU, served without stopping
        it (not PSCI, which may reset or switch off the very core that is running)."""
        vm = self.current
        if vm is None:
            return False
        try:
            return self._serve_in_place(vm, exit)
        except Exception as error:  # as ``trap``: the VM stops, the run goes on
            self._trap_failed(vm, exit, error)
            return True

    def _serve_in_place(self, vm: Vm, exit: CpuExit) -> bool:
        if exit.kind is ExitKind.COPROCESSOR:
            return timer_access_in_place(self, vm, exit)
        if exit.kind is not ExitKind.HVC:
            return False
        function, r1, r2, r3 = vm.core.regs.r0_to_r3()  # read once, for the test and the call
        if is_psci(function):
            return False
        # ``trap`` then ``hypercall``, with the trap's and the call's costs charged at once.
        vm.counters.traps += 1  # (``trap_taken``)
        self.machine.charge(self._hvc_entry)
        call_hypervisor(self, vm, exit, function, (r1, r2, r3))
        return True

    def _trap_failed(self, vm: Vm, exit: CpuExit, error: Exception) -> None:
        """A trap's handling failed: the guest's memory was unreadable, or rthv itself failed;
        either stops that VM alone (one VM's trap must never take the others down)."""
        if isinstance(error, GuestMemoryError):
            self.stop_vm(vm, f"guest memory unreadable: {error}", exit.pc)
        else:
            self.lifecycle.internal_error(vm, error, exit.pc)

    def lockup(self, exit: CpuExit, reason: str) -> None:
        """The running VM is stuck in an exception loop: stop it, the others go on."""
        vm = self.current
        if vm is not None:
            self.stop_vm(vm, f"lockup: {reason}", exit.pc)

    def internal_error(self, error: Exception) -> None:
        """rthv failed while it ran the current VM: stop that VM with a report, go on."""
        vm = self.current
        if vm is None:
            raise error
        self.lifecycle.internal_error(vm, error, vm.core.regs.pc)

    # -- services for the trap handlers (rthv.hv.trap_context.TrapContext) ---------------------

    def trap_taken(self, vm: Vm, cycles: int = 0) -> None:
        """Count a trap of ``vm`` and charge trap entry/exit plus ``cycles`` of handling."""
        vm.counters.traps += 1
        self.machine.charge(self.costs.trap_entry_exit + cycles)

    def charge(self, cycles: int) -> None:
        """Charge hypervisor work to virtual time."""
        self.machine.charge(cycles)

    def retire(self, vm: Vm) -> None:
        """Count ``vm``'s trapped instruction as executed (it was emulated)."""
        self.machine.retire_emulated(vm.core)

    def wait(self, vm: Vm) -> None:
        """``vm`` waits for an interrupt, unless one is pending at its CPU interface already."""
        if self.machine.gicv.virq_out.level or vm.vgic.has_deliverable():
            return
        self.scheduler.vm_waits(vm.handle)

    def notify(self, sender: Vm, channel: int) -> tuple[int, Vm | None]:
        """Raise a notify channel's vIRQ: (status, the peer to deliver to afterwards or None)."""
        return self.ipc.notify(sender, channel)

    def deliver(self, vm: Vm) -> None:
        """``vm`` has a deliverable virtual interrupt: inject now, or make the VM runnable."""
        if vm.interrupt_pending_since is None:
            vm.interrupt_pending_since = self.machine.clock.now()
        if vm.handle is self.scheduler.current and not self.machine.parked:  # (self.current)
            self._charge_injections(vm, vm.vgic.list_registers.flush_to(self.machine.gich))
        elif vm.handle.state is VmState.WAITING:
            self.scheduler.vm_runnable(vm.handle)

    def power_off(self, vm: Vm, how: str) -> None:
        """The guest switched its VM off: it stops for good, cleanly; the others go on."""
        self.lifecycle.power_off(vm, how)

    def reset_vm(self, vm: Vm, how: str) -> None:
        """The guest asked for a reset: its VM starts again from its images; the others go on."""
        self.lifecycle.reset_vm(vm, how)

    def report_ignored(self, vm: Vm, register: str, detail: str) -> None:
        """A guest access that was ignored (per the GIC spec, or a device register the model
        lacks): reported, then go on."""
        self.lifecycle.report_ignored(vm, register, detail)

    @property
    def faults(self) -> list[VmFault]:
        """The faults so far, in order: every one that stopped a VM, and the first three
        restarts and injected aborts of each VM, whose others are only counted
        (``VmLifecycle.faults``; ``fault_count`` counts them all)."""
        return self.lifecycle.faults

    @property
    def fault_count(self) -> int:
        """How many faults there were, those ``faults`` no longer lists included."""
        return self.lifecycle.fault_count

    def _device_guest_error(self, error: GuestError, _seen: int) -> None:
        vm = self.current  # a passthrough device's registers are reached only by the running VM
        if vm is None:
            self._say(f"{error.core or 'board'}: {error.describe()}")
        else:
            self.report_ignored(vm, error.register, error.describe())

    # -- internals ----------------------------------------------------------------------------

    def _world_switch(self, old: VmHandle | None, new: VmHandle | None, reason: str) -> None:
        machine = self.machine
        with machine.gich.batch():  # the GIC lines move once, to the new vCPU's state
            old_name = None if old is None else old.name
            new_name = None if new is None else new.name
            outgoing = None if old_name is None else self.vms[old_name].vgic.list_registers
            if outgoing is not None and new_name is None:
                outgoing.save_from(machine.gich)
            machine.charge(self.costs.world_switch)
            self.trace.switch(machine.clock.now(), old_name, new_name, reason)  # (a ``Switch``)
            if new_name is None:
                machine.parked = True
                self._note_idle()
                return
            vm = self.vms[new_name]
            vm.counters.world_switches += 1
            machine.switch_to(vm.core)
            machine.parked = False
            incoming = vm.vgic.list_registers
            if outgoing is None:
                injected = incoming.restore_in_batch(machine.gich)  # (inside the batch)
            else:  # save_from and restore_to in one step (inside the batch)
                injected = outgoing.hand_over(incoming, machine.gich)
            if injected:
                self._charge_injections(vm, injected)

    def resample_timer(self, vm: Vm) -> None:
        """After the guest reprogrammed its timer: a line still high is pending again (level)."""
        if vm.vgic.resample(self.board.generic_timer.phys_irq):
            self.deliver(vm)

    def _interrupt_taken(self, record: InterruptRecord) -> None:
        vm = self.vms.get(record.core)
        if vm is not None and vm.interrupt_pending_since is not None:
            vm.latency.add(record.cycle - vm.interrupt_pending_since)
            vm.interrupt_pending_since = None

    def _charge_injections(self, vm: Vm, count: int) -> None:
        if count:
            vm.counters.injections += count
            self.machine.charge(count * self.costs.lr_injection)

    def _uart_output(self, uart: str, data: bytes) -> None:
        if self._console is not None:
            self._console(self.uart_owner.get(uart, uart), data)

    def _say(self, line: str) -> None:
        if self._console is not None:
            self._console(HYPERVISOR_CONSOLE, (line + "\n").encode())
