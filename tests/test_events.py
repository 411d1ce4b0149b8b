"""EventQueue: deterministic order (time, priority, insertion), lazy cancel, due dispatch."""

from __future__ import annotations

from collections.abc import Callable

from rthv.board.events import Event, EventQueue


def _logger(log: list[str], name: str) -> Callable[[], None]:
    return lambda: log.append(name)


def test_run_due_orders_by_time_then_priority_then_insertion() -> None:
    """Equal times run by priority (lower first), equal priorities in scheduling order."""
    queue = EventQueue()
    log: list[str] = []
    queue.schedule(20, _logger(log, "late"))
    queue.schedule(10, _logger(log, "p1-first"), priority=1)
    queue.schedule(10, _logger(log, "p0-first"))
    queue.schedule(10, _logger(log, "p1-second"), priority=1)
    queue.schedule(10, _logger(log, "p0-second"))
    queue.schedule(5, _logger(log, "early"), priority=9)
    assert queue.run_due(100) == 6
    assert log == ["early", "p0-first", "p0-second", "p1-first", "p1-second", "late"]
    assert len(queue) == 0


def test_schedule_returns_the_event_handle() -> None:
    """The handle records time, priority, name and a growing sequence number."""
    queue = EventQueue()
    first = queue.schedule(7, lambda: None, priority=2, name="tick")
    second = queue.schedule(7, lambda: None)
    assert isinstance(first, Event)
    assert (first.when, first.priority, first.name, first.cancelled) == (7, 2, "tick", False)
    assert second.sequence > first.sequence
    assert second < first  # same time, lower priority first


def test_cancel_drops_the_event_and_peek_skips_it() -> None:
    """A cancelled head is skipped by peek, never runs and is not counted."""
    queue = EventQueue()
    log: list[str] = []
    head = queue.schedule(10, _logger(log, "cancelled"))
    queue.schedule(30, _logger(log, "kept"))
    assert (queue.peek(), len(queue)) == (10, 2)
    queue.cancel(head)
    assert head.cancelled
    assert (queue.peek(), len(queue)) == (30, 1)
    assert queue.run_due(20) == 0
    assert queue.run_due(30) == 1
    assert log == ["kept"]
    assert queue.peek() is None


def test_heap_top_is_at_or_before_the_next_live_event() -> None:
    """``heap[0][0]`` bounds the next live event from below, a cancelled head included: a
    top later than ``now`` means nothing is due."""
    queue = EventQueue()
    head = queue.schedule(10, lambda: None)
    queue.schedule(30, lambda: None)
    queue.cancel(head)
    assert queue.heap[0][0] == 10
    assert queue.peek() == 30
    assert queue.heap[0][0] == 30  # (peek dropped the cancelled head)
    assert queue.run_due(29) == 0


def test_cancel_none_or_fired_event_is_harmless() -> None:
    """Cancelling None, or an event that already ran, changes nothing else."""
    queue = EventQueue()
    log: list[str] = []
    fired = queue.schedule(1, _logger(log, "a"))
    queue.schedule(2, _logger(log, "b"))
    queue.run_due(1)
    queue.cancel(None)
    queue.cancel(fired)
    assert (len(queue), queue.peek()) == (1, 2)
    queue.run_due(2)
    assert log == ["a", "b"]


def test_peek_on_empty_queue_is_none() -> None:
    """An empty queue has no next time and no due event."""
    queue = EventQueue()
    assert queue.peek() is None
    assert queue.pop_due(10**12) is None
    assert queue.run_due(10**12) == 0
    assert len(queue) == 0


def test_pop_due_returns_only_events_at_or_before_now() -> None:
    """pop_due hands out the head only once its time has come, and marks it done."""
    queue = EventQueue()
    event = queue.schedule(50, lambda: None, name="x")
    assert queue.pop_due(49) is None
    assert len(queue) == 1
    popped = queue.pop_due(50)
    assert popped is event
    assert popped.cancelled
    assert queue.pop_due(50) is None
    assert len(queue) == 0


def test_run_due_runs_events_scheduled_by_events_when_due() -> None:
    """An action scheduling another due event gets it run in the same call; later ones wait."""
    queue = EventQueue()
    log: list[str] = []

    def first() -> None:
        log.append("first")
        queue.schedule(10, _logger(log, "chained-due"))
        queue.schedule(11, _logger(log, "chained-late"))

    queue.schedule(10, first)
    assert queue.run_due(10) == 2
    assert log == ["first", "chained-due"]
    assert (queue.peek(), len(queue)) == (11, 1)


def test_on_schedule_listener_hears_every_scheduled_time() -> None:
    """The listener is called with the time of each new event, including chained ones."""
    queue = EventQueue()
    heard: list[int] = []
    queue.schedule(99, lambda: None)  # before a listener: not reported
    queue.on_schedule = heard.append

    def chain() -> None:
        queue.schedule(45, lambda: None)

    queue.schedule(40, chain)
    queue.schedule(30, lambda: None, priority=-1)
    queue.run_due(40)
    assert heard == [40, 30, 45]


def test_len_counts_live_events_only() -> None:
    """len() ignores cancelled events still sitting in the heap."""
    queue = EventQueue()
    events = [queue.schedule(t, lambda: None) for t in (5, 6, 7, 8)]
    queue.cancel(events[1])
    queue.cancel(events[3])
    assert len(queue) == 2


def test_pending_lists_the_live_events_only() -> None:
    """pending() holds each event still to run, not the cancelled ones nor those that ran."""
    queue = EventQueue()
    events = [queue.schedule(t, lambda: None) for t in (5, 6, 7, 8)]
    queue.cancel(events[2])
    queue.run_due(5)
    assert sorted(event.when for event in queue.pending()) == [6, 8]
    assert all(any(event is mine for mine in events) for event in queue.pending())


def test_any_live_except_looks_past_cancelled_events_and_the_known_ones() -> None:
    """True only for a live event that is not among the known ones: cancelled entries, events
    that ran and the known events do not count, wherever they are in the heap."""
    queue = EventQueue()
    events = [queue.schedule(t, lambda: None) for t in (5, 6, 7, 8, 9)]
    queue.run_due(5)
    queue.cancel(events[1])
    assert queue.any_live_except([events[2], events[3]])  # events[4] is neither
    assert not queue.any_live_except([events[2], events[3], events[4]])
    assert queue.any_live_except([])
    for event in events:
        queue.cancel(event)
    assert not queue.any_live_except([])
