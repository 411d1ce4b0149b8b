"""A charged device window: every access costs its cycles, and still reaches the device."""

from __future__ import annotations

from rthv.board.charged_device import ChargedDevice
from rthv.board.timing import DeviceCost


class Scratch:
    """One register per offset, remembering what was written."""

    def __init__(self) -> None:
        self.values: dict[int, int] = {}

    def read(self, offset: int, size: int) -> int:
        return self.values.get(offset, 0)

    def write(self, offset: int, size: int, value: int) -> None:
        self.values[offset] = value


def test_reads_and_writes_charge_their_own_costs_and_pass_through() -> None:
    """A write charges the write cost and stores; a read charges the read cost and returns."""
    device = Scratch()
    charges: list[int] = []
    window = ChargedDevice(device, DeviceCost(read=7, write=3), charges.append)
    window.write(0x10, 4, 0xABCD)
    assert device.values == {0x10: 0xABCD} and charges == [3]
    assert window.read(0x10, 4) == 0xABCD
    assert window.read(0x14, 4) == 0
    assert charges == [3, 7, 7]
    assert window.device is device
