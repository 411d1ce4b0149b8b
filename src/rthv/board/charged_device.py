"""A device window as the CPU sees it under a timing profile: each access costs cycles."""

from __future__ import annotations

from collections.abc import Callable

from rthv.board.device import MmioDevice
from rthv.board.timing import DeviceCost


class ChargedDevice:
    """A device window whose every access also charges the profile's cycles for it."""

    def __init__(self, device: MmioDevice, cost: DeviceCost, charge: Callable[[int], None]):
        self.device = device
        self._cost = cost
        self._charge = charge

    def read(self, offset: int, size: int) -> int:
        """Charge the read cost, then read the device."""
        self._charge(self._cost.read)
        return self.device.read(offset, size)

    def write(self, offset: int, size: int, value: int) -> None:
        """Charge the write cost, then write the device."""
        self._charge(self._cost.write)
        self.device.write(offset, size, value)
