"""The trace log: bounded unless the whole trace is wanted, and every event counted."""

from __future__ import annotations

from rthv.hv.trace_log import TraceEvent, TraceLog


def _events(count: int) -> list[TraceEvent]:
    return [TraceEvent(cycle, "hvc", "a", f"fn=0 status={cycle}") for cycle in range(count)]


def test_a_bounded_log_keeps_the_latest_events_and_counts_them_all() -> None:
    """Past its size the oldest events go; counts and dropped still tell how many there were."""
    log = TraceLog(keep=4)
    for event in _events(10):
        log.append(event)
    assert [event.cycle for event in log] == [6, 7, 8, 9]
    assert len(log) == 4 and log.dropped == 6 and log.counts == {"hvc": 10}


def test_an_unbounded_log_keeps_everything() -> None:
    """With keep=None (an export was asked for) nothing is dropped."""
    log = TraceLog(keep=None)
    for event in _events(5000):
        log.append(event)
    assert len(log) == 5000 and log.dropped == 0
