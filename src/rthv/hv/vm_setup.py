"""Creating one VM at boot: its vCPU engine with Stage 2 realised, its virtual GIC, its
architected timer wired to the vGIC, the emulated distributor window, the entry point."""

from __future__ import annotations

from collections.abc import Callable

from rthv.board.generic_timer import GenericTimer
from rthv.board.machine import Machine
from rthv.board.signal import Signal
from rthv.hv.address_space import add_emulated_window, realise
from rthv.hv.config import SystemConfig
from rthv.hv.distributor_trap import EmulatedDistributor
from rthv.hv.images import VmEntry, enter
from rthv.hv.scheduling.api import VmHandle
from rthv.hv.stage2 import Stage2Table
from rthv.hv.trap_context import TrapContext
from rthv.hv.vgic import VirtualGic
from rthv.hv.vm import Vm


def create_vm(
    ctx: TrapContext,
    system: SystemConfig,
    machine: Machine,
    index: int,
    table: Stage2Table,
    entry: VmEntry,
) -> Vm:
    """VM ``index`` of ``system`` on ``machine``, its vCPU at ``entry``; ``ctx`` serves its
    traps and takes its timer interrupts (``ctx.deliver``)."""
    config = system.vms[index]
    board = system.board_description
    gic = board.gic
    core = machine.new_core(config.name)
    realise(table, core, machine)
    virqs = {c.virq for c in system.channels if c.to_vm == config.name}
    passthrough = [irq for device in config.devices for irq in device.irqs]
    vgic = VirtualGic(
        config.name, gic.num_irqs, machine.gicd, passthrough=passthrough, virtual=virqs
    )
    timer = GenericTimer(machine.clock, machine.events, board.generic_timer.frequency_hz)
    vm = Vm(index, config, core, table, vgic, timer, VmHandle(config.name, index), entry.pc)
    distributor = EmulatedDistributor(ctx, vm, gic.distributor)
    add_emulated_window(core, gic.distributor, distributor)
    ppis = board.generic_timer
    timer.phys_irq.connect(timer_line(ctx, vm, ppis.phys_irq))
    vgic.set_level_source(ppis.phys_irq, line_level(timer.phys_irq))
    # The virtual timer runs natively in the vCPU's engine, on virtual time; its
    # model raises PPI 27 at CVAL (CpuCore.attach_virtual_timer).
    timer.virt_irq.connect(timer_line(ctx, vm, ppis.virt_irq))
    vgic.set_level_source(ppis.virt_irq, line_level(timer.virt_irq))
    core.attach_virtual_timer(timer)
    core.keep_reset_state()
    enter(core, entry)
    return vm


def timer_line(ctx: TrapContext, vm: Vm, ppi: int) -> Callable[[bool], None]:
    """What a rising output of ``vm``'s timer does: raise ``ppi`` at its vGIC, deliver."""

    def raised(level: bool) -> None:
        if level and not vm.stopped and vm.vgic.raise_virtual(ppi):
            ctx.deliver(vm)

    return raised


def line_level(line: Signal) -> Callable[[], bool]:
    """A sampler for the level of one of a vCPU timer's outputs."""
    return lambda: line.level
