"""The emulated GICD page: every access is a charged trap; foreign writes are reported."""

from __future__ import annotations

from pathlib import Path

import rthv
from hv_support import boot, vm_toml, write_system
from rthv.hv.distributor_trap import EmulatedDistributor
from support import assemble

TRAP, EMULATION = 100, 1000  # distinct costs: a wrong sum cannot pass by chance
HEAD = (
    '[scheduler]\npolicy = "round-robin"\n'
    f"[costs]\ntrap_entry_exit = {TRAP}\ngicd_emulation = {EMULATION}\n"
)
GICD = 0x2C00_1000
ISENABLER1 = 0x104  # IRQs 32..63


def _two_hellos(tmp_path: Path) -> rthv.System:
    """a (UART0, IRQ 37) and b (UART1, IRQ 38), booted, a about to run."""
    path = write_system(
        tmp_path, vm_toml("a", "hello"), vm_toml("b", "hello", uart="uart1"), head=HEAD
    )
    return boot(path)


def test_each_access_charges_a_trap_and_an_emulation(tmp_path: Path) -> None:
    """A read and a write each advance virtual time by trap_entry_exit + gicd_emulation."""
    system = _two_hellos(tmp_path)
    hv, a = system.hypervisor, system.hypervisor.vms["a"]
    gicd = EmulatedDistributor(hv, a, GICD)
    clock = hv.machine.clock
    start, traps = clock.now(), a.counters.traps
    assert gicd.read(0x4, 4) == a.vgic.read(0x4, 4) == 2  # GICD_TYPER: 96 interrupts
    assert clock.now() - start == TRAP + EMULATION
    gicd.write(0x0, 4, 1)  # GICD_CTLR: on
    assert clock.now() - start == 2 * (TRAP + EMULATION)
    assert a.vgic.enabled
    assert (a.counters.traps - traps, a.counters.gicd_accesses) == (2, 2)
    assert system.hypervisor.vms["b"].counters.gicd_accesses == 0


def _guest_time(tmp_path: Path, base: int) -> tuple[rthv.System, int]:
    """Two reads and a write at ``base``, then WFI: the system and the cycle the VM waited at."""
    source = f"ldr r1, ={base:#x}\nldr r0, [r1, #4]\nldr r0, [r1, #4]\nstr r0, [r1, #0x400]\nwfi"
    (tmp_path / "code.bin").write_bytes(assemble(source))
    vm = (
        '[[vm]]\nname = "a"\n[[vm.image]]\npath = "code.bin"\nload_ipa = 0x80000000\n'
        '[[vm.memory]]\nipa = 0x80000000\nsize = "64K"\n'
    )
    system = boot(write_system(tmp_path, vm, head=HEAD))
    system.hypervisor.run()
    (waited,) = [
        e.cycle for e in system.hypervisor.trace if e.kind == "switch" and e.detail == "a -> -"
    ]
    return system, waited


def test_a_guest_pays_exactly_its_gicd_traps(tmp_path: Path) -> None:
    """The same five instructions on GICD rather than RAM cost three charged traps more."""
    (tmp_path / "gicd").mkdir()
    (tmp_path / "ram").mkdir()
    on_gicd, gicd_cycle = _guest_time(tmp_path / "gicd", GICD)
    _, ram_cycle = _guest_time(tmp_path / "ram", 0x8000_8000)
    assert gicd_cycle - ram_cycle == 3 * (TRAP + EMULATION)
    counters = on_gicd.hypervisor.vms["a"].counters
    assert (counters.traps, counters.gicd_accesses, counters.wfi) == (4, 3, 1)


def test_a_write_to_a_foreign_irq_is_reported_once_with_its_gicd_address(tmp_path: Path) -> None:
    """a enabling b's IRQ 38, then the unowned IRQ 39: one line each, nothing enabled."""
    system = _two_hellos(tmp_path)
    hv, a = system.hypervisor, system.hypervisor.vms["a"]
    gicd = EmulatedDistributor(hv, a, GICD)
    gicd.write(ISENABLER1, 4, 1 << (38 - 32))
    gicd.write(ISENABLER1, 4, 1 << (39 - 32))
    gicd.write(ISENABLER1, 4, 1 << (37 - 32))  # its own UART's IRQ: fine, not reported
    assert system.console_text("rthv").splitlines() == [
        f'vm "a": ignored GICD write at {GICD + ISENABLER1:#010x} for IRQ {irq} (not its own) '
        "at pc 0x80000000"
        for irq in (38, 39)
    ]
    assert a.counters.gicd_ignored == 2
    assert [event.kind for event in hv.trace].count("ignored") == 2
    assert not hv.machine.gicd.is_enabled(38) and not hv.machine.gicd.is_enabled(39)
    assert hv.machine.gicd.is_enabled(37)


def test_a_write_that_makes_an_interrupt_deliverable_injects_it(tmp_path: Path) -> None:
    """SGI 0 pending and enabled; turning the distributor on lists it for the running VM."""
    system = _two_hellos(tmp_path)
    hv, a = system.hypervisor, system.hypervisor.vms["a"]
    hv.machine.events.run_due(0)  # the scheduler's first pick, due at time 0
    assert hv.current is a
    a.vgic.set_enabled(0, True)
    deliverable = a.vgic.raise_virtual(0)
    assert not deliverable  # the distributor is still off
    EmulatedDistributor(hv, a, GICD).write(0x0, 4, 1)
    assert a.counters.injections == 1
    assert hv.machine.gich.list_register(0) & 0x3FF == 0  # vIRQ 0 in list register 0
    assert hv.machine.gich.list_register(0) >> 28 & 0b11 == 0b01  # pending
