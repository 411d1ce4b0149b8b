"""The event queue: every device timeout and scheduler timer in virtual time goes through it."""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush


class Event:
    """A callback due at ``when`` cycles; same-time events run by (priority, sequence).

    A plain class, not a dataclass: one is made for nearly every interrupt and timer, and a
    compiled class's own ``__init__`` is a C call where a dataclass's generated one is Python.
    Events order by ``(when, priority, sequence)``, as the queue's entries do; an event is
    equal only to itself (its sequence is unique)."""

    __slots__ = ("action", "cancelled", "name", "priority", "sequence", "when")

    def __init__(
        self, when: int, priority: int, sequence: int, action: Callable[[], None], name: str = ""
    ) -> None:
        self.when = when
        self.priority = priority
        self.sequence = sequence
        self.action = action
        self.name = name
        self.cancelled = False

    def __lt__(self, other: Event) -> bool:
        """Whether this event runs before ``other``: by time, then priority, then sequence."""
        mine = (self.when, self.priority, self.sequence)
        return mine < (other.when, other.priority, other.sequence)

    def __repr__(self) -> str:
        state = ", cancelled" if self.cancelled else ""
        return f"Event({self.name or self.action!r} at {self.when}, #{self.sequence}{state})"


class EventQueue:
    """A heap of events ordered by (time, priority, sequence): deterministic for equal times.

    The heap holds ``(when, priority, sequence, event)`` tuples: the sequence is unique, so
    entries compare as tuples of ints (in C) and never reach the event itself. ``heap`` is
    read-only outside: when not empty, ``heap[0][0]`` is at or before the next live event's
    time (a cancelled entry may be on top), so a caller that finds it later than ``now`` knows
    that nothing is due without a call.
    """

    def __init__(self) -> None:
        self.heap: list[tuple[int, int, int, Event]] = []
        self._sequence = 0  # the next event's (an int: compiled code adds in C)
        self.on_schedule: Callable[[int], None] | None = None

    def schedule(
        self, when: int, action: Callable[[], None], *, priority: int = 0, name: str = ""
    ) -> Event:
        """Queue ``action`` to run at ``when`` cycles; returns a handle for ``cancel``."""
        sequence = self._sequence
        self._sequence = sequence + 1
        event = Event(when, priority, sequence, action, name)
        heappush(self.heap, (when, priority, sequence, event))
        if self.on_schedule is not None:
            self.on_schedule(when)
        return event

    def cancel(self, event: Event | None) -> None:
        """Drop ``event`` (lazily); cancelling ``None`` or a fired event does nothing."""
        if event is not None:
            event.cancelled = True

    def peek(self) -> int | None:
        """Time of the next live event, or None when the queue is empty."""
        heap = self.heap
        while heap and heap[0][3].cancelled:
            heappop(heap)
        return heap[0][0] if heap else None

    def pop_due(self, now: int) -> Event | None:
        """Remove and return the next live event due at or before ``now``."""
        when = self.peek()
        if when is None or when > now:
            return None
        event = heappop(self.heap)[3]
        event.cancelled = True
        return event

    def run_due(self, now: int) -> int:
        """Run every event due at or before ``now`` in order; returns how many ran.

        ``pop_due`` inlined: the run loop asks at every turn, and mostly nothing is due.
        """
        heap = self.heap
        count = 0
        while heap:
            when, _priority, _sequence, event = heap[0]
            if event.cancelled:
                heappop(heap)
            elif when > now:
                break
            else:
                heappop(heap)
                event.cancelled = True
                event.action()
                count += 1
        return count

    def any_live_except(self, known: list[Event]) -> bool:
        """Whether a live event other than those in ``known`` is queued. The heap is read in
        its array order, whose top is the earliest entry: where a device's next event is
        queued it is mostly found at once, among cancelled entries that may be many."""
        for entry in self.heap:
            event = entry[3]
            if event.cancelled:
                continue
            for other in known:
                if event is other:
                    break
            else:
                return True
        return False

    def pending(self) -> list[Event]:
        """The live events, in no set order."""
        return [entry[3] for entry in self.heap if not entry[3].cancelled]

    def __len__(self) -> int:
        return len(self.pending())
