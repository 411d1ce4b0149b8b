"""The wire into one PPI or SPI of the board's distributor."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rthv.board.signal import Signal

if TYPE_CHECKING:
    from rthv.board.gic.distributor import GicDistributor, IrqState


class InputLine(Signal):
    """The wire into one PPI/SPI: a change of level goes straight to that interrupt's state
    (``GicDistributor.set_input``, with the interrupt already looked up), then to any other
    listener."""

    def __init__(self, name: str, distributor: GicDistributor, irq: int, state: IrqState) -> None:
        super().__init__(name)
        self._distributor = distributor
        self._irq = irq
        self._state = state

    def set(self, level: bool) -> None:
        """Drive the wire to ``level``: a rising edge latches an edge-triggered interrupt."""
        if level == self.level:
            return
        self.level = level
        self._distributor.drive(self._irq, self._state, level)
        for listener in self._listeners:
            listener(level)
