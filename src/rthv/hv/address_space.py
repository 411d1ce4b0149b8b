"""A VM's guest-physical (IPA) space: its Stage-2 table, and its realisation in a vCPU engine."""

from __future__ import annotations

from rthv.board.cpu import CpuCore, Perm
from rthv.board.description import BoardDescription
from rthv.board.device import MmioDevice
from rthv.board.gic.regs import GICC_WINDOW_SIZE
from rthv.board.machine import Machine
from rthv.board.memory import PAGE_SIZE, DeviceWindow, RamRegion
from rthv.hv.config import SystemConfig, VmConfig
from rthv.hv.hypervisor_memory import HypervisorMemory
from rthv.hv.stage2 import Stage2Table
from rthv.hv.stage2_descriptors import MemType, S2Perm

_PERMS = {"r": S2Perm.READ, "w": S2Perm.WRITE, "x": S2Perm.EXEC}


def s2_perm(text: str) -> S2Perm:
    """Stage-2 permissions from a config string such as "rwx"."""
    perm = S2Perm.NONE
    for letter in text:
        perm |= _PERMS[letter]
    return perm


def build_stage2(
    config: SystemConfig, vm: VmConfig, board: BoardDescription, tables: HypervisorMemory, vmid: int
) -> Stage2Table:
    """The VM's Stage-2 table: its RAM/ROM, passthrough devices, shared memory and GICV.

    The distributor page is deliberately left unmapped: the VM's accesses fault to the
    hypervisor, which emulates them (the virtual GIC distributor).
    """
    table = Stage2Table(tables, vmid)
    placements = config.placements
    for index, region in enumerate(vm.memory):
        pa = placements.memory_pa(vm.name, index)
        table.map(region.ipa, pa, region.size, s2_perm(region.perms), MemType.NORMAL)
    for device in vm.devices:
        spec = board.device(device.name)
        table.map(device.ipa, spec.base, spec.size, S2Perm.READ | S2Perm.WRITE, MemType.DEVICE)
    table.map(
        board.gic.cpu_interface,
        board.gic.virtual_cpu_interface,
        GICC_WINDOW_SIZE,
        S2Perm.READ | S2Perm.WRITE,
        MemType.DEVICE,
    )
    for shared in config.shared_memory:
        for view in shared.views:
            if view.vm == vm.name:
                pa = placements.shared_memory[shared.name]
                table.map(view.ipa, pa, shared.size, s2_perm(view.perms), MemType.NORMAL)
    return table


def _engine_perm(perm: S2Perm) -> Perm:
    result = Perm(0)
    if perm & S2Perm.READ:
        result |= Perm.READ
    if perm & S2Perm.WRITE:
        result |= Perm.WRITE
    if perm & S2Perm.EXEC:
        result |= Perm.EXEC
    return result


def realise(table: Stage2Table, core: CpuCore, machine: Machine) -> None:
    """Map every run of the walked table into the vCPU's engine: RAM by host pointer (so shared
    memory is really shared), devices to the board's models; nothing else exists for the VM."""
    for run in table.mappings():
        region = machine.memory.find(run.pa)
        if isinstance(region, RamRegion):
            pointer = region.host_pointer + (run.pa - region.base)
            core.map_ram(run.ipa, run.size, pointer, _engine_perm(run.perm))
        elif isinstance(region, DeviceWindow):
            core.map_device(
                run.ipa, run.size, region.device, run.pa - region.base, timed=region.timed
            )
        else:  # pragma: no cover - the config checks keep every PA inside the board
            raise ValueError(f"Stage-2 run at PA {run.pa:#x} has nothing behind it")


def add_emulated_window(core: CpuCore, ipa: int, handler: MmioDevice) -> None:
    """Route a Stage-2-unmapped page to a hypervisor handler (trap and emulate)."""
    core.map_device(ipa, PAGE_SIZE, handler, timed=True)
