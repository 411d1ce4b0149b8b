"""Signal: a level-sensitive wire whose listeners hear only changes, in connection order."""

from __future__ import annotations

from rthv.board.signal import Signal


def test_starts_low_with_its_name() -> None:
    """A new wire is low and named."""
    wire = Signal("uart0.irq")
    assert (wire.name, wire.level) == ("uart0.irq", False)
    assert repr(wire) == "Signal('uart0.irq', level=False)"


def test_listeners_hear_only_changes() -> None:
    """Driving the same level twice notifies once; setting low while low notifies nobody."""
    wire = Signal("irq")
    heard: list[bool] = []
    wire.connect(heard.append)
    wire.set(False)
    assert heard == []
    wire.set(True)
    wire.set(True)
    assert heard == [True]
    assert wire.level is True
    wire.set(False)
    wire.set(False)
    assert heard == [True, False]
    assert repr(wire) == "Signal('irq', level=False)"


def test_listeners_are_called_in_connection_order_after_the_level_changes() -> None:
    """Each listener sees the new level already stored on the wire, first connected first."""
    wire = Signal("line")
    calls: list[tuple[str, bool, bool]] = []
    wire.connect(lambda level: calls.append(("a", level, wire.level)))
    wire.connect(lambda level: calls.append(("b", level, wire.level)))
    wire.set(True)
    wire.set(False)
    assert calls == [
        ("a", True, True),
        ("b", True, True),
        ("a", False, False),
        ("b", False, False),
    ]


def test_wires_can_be_chained() -> None:
    """Connecting one wire's set to another makes the second follow the first."""
    source, sink = Signal("source"), Signal("sink")
    heard: list[bool] = []
    source.connect(sink.set)
    sink.connect(heard.append)
    source.set(True)
    source.set(False)
    assert heard == [True, False]
    assert sink.level is False
