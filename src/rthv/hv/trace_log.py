"""The hypervisor's event trace, kept in full only when someone will read it all."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass

RECENT_EVENTS = 1024  # kept when nobody asked for the whole trace: enough to see how a run ended


@dataclass(frozen=True, slots=True)
class TraceEvent:
    """Something the hypervisor did, at a cycle: switch, hvc, injection, fault, ..."""

    cycle: int
    kind: str
    vm: str
    detail: str


NO_VM = "-"  # how the trace names "no VM": the idle CPU, or an event of the hypervisor itself


@dataclass(frozen=True, slots=True)
class Switch(TraceEvent):
    """A world switch from ``old`` to ``new`` (None: the idle CPU), and why ``old`` left."""

    old: str | None
    new: str | None
    reason: str  # "wfi", "preempted", "stopped", or "idle" when the CPU was idle

    @classmethod
    def at(cls, cycle: int, old: str | None, new: str | None, reason: str) -> Switch:
        """The switch at ``cycle``; its ``detail`` reads ``old -> new``."""
        detail = f"{old or NO_VM} -> {new or NO_VM}"
        return cls(cycle, "switch", NO_VM, detail, old, new, reason)


class TraceLog:
    """Events in order. With ``keep`` set, only the last ``keep`` events are held (memory stays
    bounded however long the run); ``counts`` and ``dropped`` still account for every one."""

    def __init__(self, keep: int | None = RECENT_EVENTS) -> None:
        self.keep = keep
        self._events: deque[TraceEvent] = deque(maxlen=keep)
        self.counts: Counter[str] = Counter()
        self.dropped = 0

    def append(self, event: TraceEvent) -> None:
        """Add ``event``; the oldest one goes when the log is bounded and full."""
        if self.keep is not None and len(self._events) == self.keep:
            self.dropped += 1
        self._events.append(event)
        self.counts[event.kind] += 1

    def __iter__(self) -> Iterator[TraceEvent]:
        return iter(self._events)

    def __len__(self) -> int:
        return len(self._events)
