"""The trace log: bounded unless the whole trace is wanted, and every event counted."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from rthv.hv.trace_log import HypercallMade, IrqTaken, Note, Switch, TraceEvent, TraceLog


def _events(count: int) -> list[TraceEvent]:
    return [HypercallMade(cycle, "a", 0, cycle) for cycle in range(count)]


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


def test_a_switch_is_typed_and_reads_as_before() -> None:
    """A Switch carries old, new and why old left; its detail is the familiar ``old -> new``."""
    switch = Switch(7, "a", None, "wfi")
    assert (switch.old, switch.new, switch.reason) == ("a", None, "wfi")
    assert (switch.kind, switch.vm, switch.detail) == ("switch", "-", "a -> -")
    assert isinstance(switch, TraceEvent)


def test_a_run_records_why_each_vm_left_the_cpu(tmp_path: Path) -> None:
    """Two hello VMs under round robin: each leaves the CPU when it waits (WFI)."""
    from hv_support import run, vm_toml, write_system

    system = run(write_system(tmp_path, vm_toml("a", "hello"), vm_toml("b", "hello", uart="uart1")))
    switches = [e for e in system.hypervisor.trace if isinstance(e, Switch)]
    assert [(s.old, s.new) for s in switches][:2] == [(None, "a"), ("a", "b")]
    assert switches[0].reason == "idle" and switches[-1].new is None
    assert {s.reason for s in switches if s.old is not None} == {"wfi"}


def test_the_short_ways_hold_the_same_events_as_append() -> None:
    """``switch``, ``irq_taken`` and ``hypercall_made`` hold their events unbuilt: read, they
    are the events ``append`` would hold, equal, hashed alike and in order; kinds counted, the
    dropped ones too, and a second read gives the very same objects."""
    events: list[TraceEvent] = [
        Switch(1, None, "a", "idle"),
        IrqTaken(2, "a", 34),
        HypercallMade(3, "a", 7, -38),
        Note(4, "a", "mark", "text"),
        Switch(5, "a", None, "wfi"),
    ]
    full, short = TraceLog(keep=4), TraceLog(keep=4)
    for event in events:
        full.append(event)
    short.switch(1, None, "a", "idle")
    short.irq_taken(2, "a", 34)
    short.hypercall_made(3, "a", 7, -38)
    short.append(Note(4, "a", "mark", "text"))
    short.switch(5, "a", None, "wfi")
    read = list(short)
    assert read == list(full) == events[1:]
    assert [type(e) for e in read] == [type(e) for e in events[1:]]
    assert [hash(e) for e in read] == [hash(e) for e in events[1:]]
    assert (short.counts, short.dropped, len(short)) == (full.counts, full.dropped, len(full))
    assert all(a is b for a, b in zip(read, short, strict=True))
    with pytest.raises(FrozenInstanceError):
        read[0].cycle = 0  # type: ignore[misc]
