"""The hypervisor's event trace, kept in full only when someone will read it all.

Each kind of event is a small frozen class with named fields: a world switch (``Switch``), a
physical IRQ handed to its VM (``IrqTaken``), a hypercall (``HypercallMade``), a PSCI call
(``PsciCalled``), a VM's fault (``VmFaulted``), its restart (``VmRestarted``) and reset
(``VmReset``), an ignored guest access (``AccessIgnored``) and a hypercall handler's own note
(``Note``). Readers (the Chrome trace export, the API) use the fields; ``detail`` is the one-line
text of an event, written from its fields in one place, here.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any, ClassVar, cast

from rthv.board.guest_errors import only_counted
from rthv.hv.vm import VmFault

RECENT_EVENTS = 1024  # kept when nobody asked for the whole trace: enough to see how a run ended
NO_VM = "-"  # how the trace names "no VM": the idle CPU, or an event of the hypervisor itself


@dataclass(frozen=True, slots=True)
class TraceEvent:
    """Something the hypervisor did, at a cycle: switch, hvc, injection, fault, ...

    A kind of event names itself in ``KIND`` and writes its one line of text from its fields
    with the format ``DETAIL`` (``str.format`` over the fields), unless it says more in code.
    """

    KIND: ClassVar[str] = ""
    DETAIL: ClassVar[str] = ""
    cycle: int

    @property
    def kind(self) -> str:
        """The event's kind, as the trace export and the counts name it."""
        return self.KIND

    @property
    def vm(self) -> str:
        """The VM the event is about (``NO_VM``: none)."""
        return NO_VM

    @property
    def detail(self) -> str:
        """The event in one line of text."""
        return self.DETAIL.format_map({f.name: getattr(self, f.name) for f in fields(self)})


@dataclass(frozen=True, slots=True)
class Switch(TraceEvent):
    """A world switch from ``old`` to ``new`` (None: the idle CPU), and why ``old`` left."""

    KIND = "switch"
    old: str | None
    new: str | None
    reason: str  # "wfi", "preempted", "stopped", or "idle" when the CPU was idle

    @property
    def detail(self) -> str:
        """``old -> new``."""
        return f"{self.old or NO_VM} -> {self.new or NO_VM}"


@dataclass(frozen=True, slots=True)
class VmEvent(TraceEvent):
    """An event about one VM."""

    vm_name: str

    @property
    def vm(self) -> str:
        """The VM the event is about."""
        return self.vm_name


@dataclass(frozen=True, slots=True)
class IrqTaken(VmEvent):
    """Physical IRQ ``irq`` was acknowledged and handed to the VM owning it."""

    KIND, DETAIL = "irq", "{irq}"
    irq: int


@dataclass(frozen=True, slots=True)
class HypercallMade(VmEvent):
    """The VM called hypercall ``function``; ``status`` went back in r0."""

    KIND, DETAIL = "hvc", "fn={function} status={status}"
    function: int
    status: int


@dataclass(frozen=True, slots=True)
class PsciCalled(VmEvent):
    """The VM called PSCI ``function`` through ``conduit`` ("hvc" or "smc"); ``status``."""

    DETAIL = "psci fn={function:#x} status={status}"
    conduit: str
    function: int
    status: int

    @property
    def kind(self) -> str:
        """The instruction that made the call: "hvc" or "smc"."""
        return self.conduit


@dataclass(frozen=True, slots=True)
class VmFaulted(VmEvent):
    """The VM faulted (or switched itself off); ``fault`` says what its policy did."""

    KIND = "fault"
    fault: VmFault

    @property
    def detail(self) -> str:
        """The fault's one-line report."""
        return self.fault.describe()


@dataclass(frozen=True, slots=True)
class VmRestarted(VmEvent):
    """The VM's fault policy restarted it from its images, for the ``restarts``-th time."""

    KIND, DETAIL = "restart", "restart {restarts} from its images"
    restarts: int


@dataclass(frozen=True, slots=True)
class VmReset(VmEvent):
    """The guest asked for a reset (``how``: e.g. "PSCI SYSTEM_RESET"); the line is said too."""

    KIND, DETAIL = "reset", 'vm "{vm_name}" reset ({how}): restarting from its images'
    how: str


@dataclass(frozen=True, slots=True)
class AccessIgnored(VmEvent):
    """A guest access to ``register`` ignored (``access`` says what it was) at ``pc``;
    ``last_in_full``: further ones at that register are only counted. The line is said too."""

    KIND, DETAIL = "ignored", 'vm "{vm_name}": ignored {access} at pc {pc:#010x}'
    register: str
    access: str
    pc: int
    last_in_full: bool

    @property
    def detail(self) -> str:
        """The line, and whether the rest at the register are only counted."""
        line = super(AccessIgnored, self).detail
        if self.last_in_full:
            line += only_counted(self.register)
        return line


@dataclass(frozen=True, slots=True)
class Note(VmEvent):
    """A hypercall handler's own event about its caller: a ``name`` and a ``text``."""

    DETAIL = "{text}"
    name: str
    text: str

    @property
    def kind(self) -> str:
        """The name the handler gave."""
        return self.name


# An event the log holds as its class and fields, built when the log is read (``TraceLog``).
_Unbuilt = tuple[Any, ...]


class TraceLog:
    """Events in order. With ``keep`` set, only the last ``keep`` events are held (memory stays
    bounded however long the run); ``counts`` and ``dropped`` still account for every one.

    The events of every trap, IRQ and switch (``switch``, ``irq_taken``, ``hypercall_made``)
    are held as their class and fields and built when the log is read: the same frozen events,
    equal and in the same order, without building the many that a bounded log drops unread.
    """

    def __init__(self, keep: int | None = RECENT_EVENTS) -> None:
        self.keep = keep
        self._events: deque[TraceEvent | _Unbuilt] = deque(maxlen=keep)
        self.counts: Counter[str] = Counter()
        self._appended = 0

    @property
    def dropped(self) -> int:
        """How many of the oldest events a bounded log no longer holds."""
        return self._appended - len(self._events)

    def append(self, event: TraceEvent) -> None:
        """Add ``event``; the oldest one goes when the log is bounded and full."""
        self._events.append(event)
        self.counts[event.kind] += 1
        self._appended += 1

    def switch(self, cycle: int, old: str | None, new: str | None, reason: str) -> None:
        """``append(Switch(cycle, old, new, reason))``, the event built when it is read."""
        self._events.append((Switch, cycle, old, new, reason))
        self.counts[SWITCH_KIND] += 1
        self._appended += 1

    def irq_taken(self, cycle: int, vm_name: str, irq: int) -> None:
        """``append(IrqTaken(cycle, vm_name, irq))``, the event built when it is read."""
        self._events.append((IrqTaken, cycle, vm_name, irq))
        self.counts[IRQ_KIND] += 1
        self._appended += 1

    def hypercall_made(self, cycle: int, vm_name: str, function: int, status: int) -> None:
        """``append(HypercallMade(cycle, vm_name, function, status))``, built when read."""
        self._events.append((HypercallMade, cycle, vm_name, function, status))
        self.counts[HVC_KIND] += 1
        self._appended += 1

    def _built(self) -> deque[TraceEvent | _Unbuilt]:
        """The events, every one built (once: the built ones replace what was held)."""
        held = self._events
        if any(type(item) is tuple for item in held):
            built = (item if type(item) is not tuple else item[0](*item[1:]) for item in held)
            self._events = held = deque(built, maxlen=self.keep)
        return held

    def __iter__(self) -> Iterator[TraceEvent]:
        return cast(Iterator[TraceEvent], iter(self._built()))

    def __len__(self) -> int:
        return len(self._events)


SWITCH_KIND, IRQ_KIND, HVC_KIND = Switch.KIND, IrqTaken.KIND, HypercallMade.KIND
