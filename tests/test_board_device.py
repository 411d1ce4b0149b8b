"""The MMIO device contract every model keeps: unknown registers read 0, writes there do nothing."""

from __future__ import annotations

import pytest

from rthv.board.clock import VirtualClock
from rthv.board.description import load_board
from rthv.board.device import MmioDevice
from rthv.board.device_kinds import DEVICE_KINDS, DeviceWiring
from rthv.board.events import EventQueue

UNIMPLEMENTED = 0xE00  # inside every model's 4 KiB page, beyond the registers of PL011 and SP804
SPAN = range(0, 0x40, 4)


def _model(kind: str) -> MmioDevice:
    board = load_board("vexpress-a15")
    spec = next(d for d in board.devices if d.kind == kind)
    wiring = DeviceWiring(VirtualClock(1_000_000_000), EventQueue(), lambda name: lambda data: None)
    return DEVICE_KINDS[kind].build(spec, wiring).model


@pytest.mark.parametrize("kind", sorted(DEVICE_KINDS))
def test_an_unknown_register_reads_zero_and_ignores_writes(kind: str) -> None:
    """Writing all ones to an unimplemented offset changes no register the model has."""
    model = _model(kind)
    before = [model.read(offset, 4) for offset in SPAN]
    assert model.read(UNIMPLEMENTED, 4) == 0
    model.write(UNIMPLEMENTED, 4, 0xFFFF_FFFF)
    assert model.read(UNIMPLEMENTED, 4) == 0
    assert [model.read(offset, 4) for offset in SPAN] == before
