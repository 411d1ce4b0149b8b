"""The contract every memory-mapped device model follows."""

from __future__ import annotations

from typing import Protocol


class MmioDevice(Protocol):
    """A register block: offsets are relative to the block's base, sizes are 1, 2 or 4 bytes."""

    def read(self, offset: int, size: int) -> int:
        """Value of the register at ``offset``; unknown registers read as zero."""
        ...

    def write(self, offset: int, size: int, value: int) -> None:
        """Store ``value``; writes to read-only or unknown registers are ignored."""
        ...
