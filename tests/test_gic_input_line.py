"""The wire into one PPI/SPI: a level change reaches the interrupt's state, then listeners."""

from __future__ import annotations

from rthv.board.gic.distributor import GicDistributor

SPI = 40


def test_a_level_line_is_pending_while_high_and_listeners_see_each_change() -> None:
    """A level-sensitive SPI: pending while the wire is high; a repeated level is no change."""
    gicd = GicDistributor(64)
    line = gicd.input_line(SPI)
    seen: list[bool] = []
    line.connect(seen.append)
    line.set(True)
    line.set(True)
    assert gicd.is_pending(SPI)
    line.set(False)
    assert not gicd.is_pending(SPI)
    assert seen == [True, False]


def test_a_rising_edge_latches_an_edge_triggered_interrupt() -> None:
    """Edge-triggered: the rise latches pending, which stays after the wire falls."""
    gicd = GicDistributor(64)
    gicd.set_edge(SPI, True)
    line = gicd.input_line(SPI)
    line.set(True)
    line.set(False)
    assert gicd.is_pending(SPI)
    assert gicd.input_line(SPI) is line
