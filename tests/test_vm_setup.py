"""Creating a VM at boot: its vCPU at its entry, its timer lines wired to its vGIC."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import cast

from hv_support import boot, vm_toml, write_system
from rthv.board.signal import Signal
from rthv.hv.trap_context import TrapContext
from rthv.hv.vm import Vm
from rthv.hv.vm_setup import line_level, timer_line


def test_each_vm_starts_at_its_entry_with_its_own_handle(tmp_path: Path) -> None:
    path = write_system(tmp_path, vm_toml("a", "hello"), vm_toml("b", "hello", uart="uart1"))
    hypervisor = boot(path).hypervisor
    for index, name in enumerate(("a", "b")):
        vm = hypervisor.vms[name]
        assert (vm.index, vm.handle.name, vm.handle.index) == (index, name, index)
        assert vm.core.regs.pc == vm.entry
    assert hypervisor.vms["a"].core is not hypervisor.vms["b"].core


def test_a_high_timer_line_is_pending_again_at_resample(tmp_path: Path) -> None:
    """The timer's outputs are the vGIC's level sources for the two timer PPIs."""
    hypervisor = boot(write_system(tmp_path, vm_toml("a", "hello"))).hypervisor
    vm, ppis = hypervisor.vms["a"], hypervisor.board.generic_timer
    for line, ppi in ((vm.timer.phys_irq, ppis.phys_irq), (vm.timer.virt_irq, ppis.virt_irq)):
        assert not vm.vgic.is_pending(ppi)
        line.set(True)
        vm.vgic.resample(ppi)
        assert vm.vgic.is_pending(ppi)


def test_line_level_follows_the_signal() -> None:
    line = Signal("line")
    sample = line_level(line)
    assert not sample()
    line.set(True)
    assert sample()


def test_a_rising_timer_line_raises_its_ppi_and_delivers_unless_stopped() -> None:
    raised: list[int] = []
    delivered: list[object] = []
    accepted = True

    def raise_virtual(irq: int) -> bool:
        raised.append(irq)
        return accepted

    vm = SimpleNamespace(stopped=False, vgic=SimpleNamespace(raise_virtual=raise_virtual))
    ctx = SimpleNamespace(deliver=delivered.append)
    line = timer_line(cast(TrapContext, ctx), cast(Vm, vm), 30)
    line(False)
    assert (raised, delivered) == ([], [])
    line(True)
    assert (raised, delivered) == ([30], [vm])
    accepted = False
    line(True)
    assert (raised, delivered) == ([30, 30], [vm])
    vm.stopped = True
    line(True)
    assert (raised, delivered) == ([30, 30], [vm])
