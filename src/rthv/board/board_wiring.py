"""How a ``Machine`` is wired from its board description: the GIC's four blocks and the generic
timer on their interrupt lines, and each device model with its lines and its window, every
access charged the cycles the timing profile gives it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rthv.board.charged_device import ChargedDevice
from rthv.board.description import DeviceDescription
from rthv.board.device import MmioDevice
from rthv.board.device_kinds import DeviceWiring
from rthv.board.generic_timer import GenericTimer
from rthv.board.gic import GicCpuInterface, GicDistributor, GicHypInterface, GicVirtualCpuInterface
from rthv.board.gic.regs import GICC_WINDOW_SIZE, GICD_WINDOW_SIZE, GICH_WINDOW_SIZE
from rthv.board.timing import DeviceCost

if TYPE_CHECKING:
    from rthv.board.machine import Machine

GicBlocks = tuple[
    GicDistributor, GicCpuInterface, GicHypInterface, GicVirtualCpuInterface, GenericTimer
]


def build_gic(machine: Machine, line_changed: Callable[[bool], None]) -> GicBlocks:
    """The GIC's distributor, CPU, hypervisor and virtual CPU interfaces, mapped at the board's
    addresses, and the generic timer; the CPU's interrupt lines call ``line_changed``."""
    layout = machine.board.gic
    gicd = GicDistributor(layout.num_irqs)
    gicc = GicCpuInterface(gicd)
    gich = GicHypInterface()
    gicv = GicVirtualCpuInterface(gich, gicc.deactivate)
    gich.maintenance_out.connect(gicd.input_line(layout.maintenance_irq).set)
    gicc.irq_out.connect(line_changed)
    gicv.virq_out.connect(line_changed)
    for base, size, name, device in (
        (layout.distributor, GICD_WINDOW_SIZE, "gicd", gicd),
        (layout.cpu_interface, GICC_WINDOW_SIZE, "gicc", gicc),
        (layout.hyp_interface, GICH_WINDOW_SIZE, "gich", gich),
        (layout.virtual_cpu_interface, GICC_WINDOW_SIZE, "gicv", gicv),
    ):
        # Timed: a write that makes an interrupt deliverable (enable, EOI, PMR, SGIR) is
        # followed by the interrupt right after that instruction, not at the block's end.
        charged = _charged(machine, device, machine.profile.device_cost(name, "gic"))
        machine.memory.add_device(name, base, size, charged, timed=True)
    timer = machine.board.generic_timer
    generic_timer = GenericTimer(machine.clock, machine.events, timer.frequency_hz)
    generic_timer.phys_irq.connect(gicd.input_line(timer.phys_irq).set)
    generic_timer.virt_irq.connect(gicd.input_line(timer.virt_irq).set)
    return gicd, gicc, gich, gicv, generic_timer


def add_device(machine: Machine, spec: DeviceDescription) -> None:
    """Build the device ``spec`` describes, connect its lines and map its window."""
    kind = spec.model_kind
    errors = machine.guest_errors.sink(lambda: machine.core.name)
    wiring = DeviceWiring(machine.clock, machine.events, _console_sink(machine), errors)
    built = kind.build(spec, wiring)
    for number in spec.irqs:
        built.irq.connect(machine.gicd.input_line(number).set)
    machine.devices[spec.name] = built.model
    charged = _charged(machine, built.model, machine.profile.device_cost(spec.name, spec.kind))
    machine.memory.add_device(spec.name, spec.base, spec.size, charged, timed=kind.timed)


def _charged(machine: Machine, device: MmioDevice, cost: DeviceCost) -> MmioDevice:
    """``device`` as the CPU sees it: each access charged its cycles (if the profile says)."""
    return device if cost == DeviceCost(0, 0) else ChargedDevice(device, cost, machine.charge)


def _console_sink(machine: Machine) -> Callable[[str], Callable[[bytes], None]]:
    def for_uart(name: str) -> Callable[[bytes], None]:
        def sink(data: bytes) -> None:
            if machine.console is not None:
                machine.console(name, data)

        return sink

    return for_uart
