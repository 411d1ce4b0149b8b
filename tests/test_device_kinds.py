"""Device kinds: the registry turns a board's ``kind`` into a model; a new kind plugs in there."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rthv.board.board_files import BOARDS_DIR
from rthv.board.description import BoardError, parse_board
from rthv.board.device_kinds import (
    DEVICE_KINDS,
    BuiltDevice,
    DeviceKind,
    DeviceSpec,
    DeviceWiring,
    device_kind,
    register_device_kind,
)
from rthv.board.machine import Machine
from rthv.board.memory import DeviceWindow
from rthv.board.pl011 import Pl011Uart
from rthv.board.signal import Signal
from rthv.board.sp804 import Sp804Timer

SCRATCH_BASE = 0x0A00_0000
SCRATCH_IRQ = 40
SCRATCH_BOARD = (BOARDS_DIR / "virt.toml").read_text() + (
    f'\n[[devices]]\nname = "scratch0"\nkind = "test-scratch"\nbase = {SCRATCH_BASE:#x}\n'
    f"size = 0x1000\nirqs = [{SCRATCH_IRQ}]\n"
)


class ScratchRegister:
    """A test-only device: one register; writing 1 to offset 4 raises its interrupt."""

    def __init__(self, name: str) -> None:
        self.value = 0
        self.irq = Signal(f"{name}.irq")

    def read(self, offset: int, size: int) -> int:
        """The register at 0, zero elsewhere."""
        return self.value if offset == 0 else 0

    def write(self, offset: int, size: int, value: int) -> None:
        """Store at 0; offset 4 drives the interrupt line."""
        if offset == 0:
            self.value = value
        elif offset == 4:
            self.irq.set(bool(value & 1))


def _scratch(spec: DeviceSpec, wiring: DeviceWiring) -> BuiltDevice:
    device = ScratchRegister(spec.name)
    return BuiltDevice(device, device.irq)


@pytest.fixture
def scratch_kind() -> Iterator[None]:
    """The test-only kind, registered for one test."""
    register_device_kind("test-scratch", DeviceKind(_scratch, timed=True))
    yield
    del DEVICE_KINDS["test-scratch"]


def test_the_shipped_kinds_build_their_models() -> None:
    """pl011 is a UART, sp804 a timed timer; both built by the board from its description."""
    assert (device_kind("pl011").uart, device_kind("sp804").timed) == (True, True)
    machine = Machine(parse_board((BOARDS_DIR / "vexpress-a15.toml").read_text()))
    assert isinstance(machine.devices["uart0"], Pl011Uart)
    assert isinstance(machine.devices["timer01"], Sp804Timer)


def test_a_kind_registered_from_a_test_is_built_mapped_and_wired(scratch_kind: None) -> None:
    """A board naming the new kind gets its model at its address, timed, with its IRQ routed."""
    machine = Machine(parse_board(SCRATCH_BOARD))
    window = machine.memory.find(SCRATCH_BASE)
    assert isinstance(window, DeviceWindow) and window.timed
    window.device.write(0, 4, 0x1234)
    assert machine.devices["scratch0"].read(0, 4) == 0x1234
    assert not machine.gicd.is_pending(SCRATCH_IRQ)
    window.device.write(4, 4, 1)
    assert machine.gicd.is_pending(SCRATCH_IRQ)


def test_an_unregistered_kind_is_a_board_error() -> None:
    """Without registration the same board is refused, naming the field and the known kinds."""
    with pytest.raises(BoardError, match=r"devices\.2\.kind: unknown device kind 'test-scratch'"):
        parse_board(SCRATCH_BOARD)


def test_a_kind_cannot_be_registered_twice() -> None:
    """Registering over a shipped kind is refused."""
    with pytest.raises(ValueError, match="already registered"):
        register_device_kind("pl011", device_kind("pl011"))
