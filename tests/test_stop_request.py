"""A stop request reaches every machine attached to it, also one attached after it was made."""

from __future__ import annotations

from rthv.board.stop_request import StopRequest


class Recorder:
    """Counts the stops asked of it, as a machine would take them."""

    def __init__(self) -> None:
        self.stops = 0

    def request_stop(self) -> None:
        self.stops += 1


def test_a_request_stops_every_attached_machine_once() -> None:
    """Nothing is asked before the request; then each attached machine is asked once."""
    first, second = Recorder(), Recorder()
    stop = StopRequest()
    stop.attach(first)
    stop.attach(second)
    assert (first.stops, second.stops, stop.requested) == (0, 0, False)
    stop.request()
    assert (first.stops, second.stops, stop.requested) == (1, 1, True)


def test_a_machine_attached_after_the_request_stops_at_once() -> None:
    """A request made before a machine existed still stops it, as soon as it is attached."""
    stop = StopRequest()
    stop.request()
    late = Recorder()
    stop.attach(late)
    assert late.stops == 1
