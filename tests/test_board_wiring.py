"""A machine's wiring: GIC windows at the board's addresses, devices on their lines and sinks."""

from __future__ import annotations

from rthv.board.description import load_board
from rthv.board.machine import Machine
from rthv.board.memory import DeviceWindow


def _windows(machine: Machine) -> dict[str, DeviceWindow]:
    return {r.name: r for r in machine.memory.regions if isinstance(r, DeviceWindow)}


def test_the_gic_blocks_are_timed_windows_at_the_boards_addresses() -> None:
    """GICD, GICC, GICH and GICV are mapped where the board says, each timed."""
    board = load_board("vexpress-a15")
    windows = _windows(Machine(board))
    layout = board.gic
    expected = {
        "gicd": layout.distributor,
        "gicc": layout.cpu_interface,
        "gich": layout.hyp_interface,
        "gicv": layout.virtual_cpu_interface,
    }
    assert {name: (windows[name].base, windows[name].timed) for name in expected} == {
        name: (base, True) for name, base in expected.items()
    }


def test_a_devices_interrupt_reaches_the_distributor_on_its_line() -> None:
    """uart0's line is IRQ 37 on this board: raising it makes 37 pending, no other."""
    machine = Machine(load_board("vexpress-a15"))
    assert not machine.gicd.is_pending(37)
    machine.uart("uart0").irq.set(True)
    assert machine.gicd.is_pending(37)
    assert not machine.gicd.is_pending(38)


def test_a_uarts_output_goes_to_the_console_under_its_name() -> None:
    """A byte written to uart1's data register reaches the machine's console as uart1's."""
    seen: list[tuple[str, bytes]] = []
    machine = Machine(
        load_board("vexpress-a15"), console=lambda name, data: seen.append((name, data))
    )
    machine.uart("uart1").write(0x000, 4, ord("A"))
    assert seen == [("uart1", b"A")]
    assert _windows(machine)["uart1"].device is machine.devices["uart1"]
