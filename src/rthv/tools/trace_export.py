"""The hypervisor's event trace as Chrome trace JSON, for Perfetto (ui.perfetto.dev) or
chrome://tracing: one track per VM with the slices it held the CPU, instants for the rest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rthv.hv.hypervisor import Hypervisor
from rthv.hv.trace_log import Switch, TraceEvent

PROCESS_ID = 1
IDLE_TRACK = "idle"


def _us(hv: Hypervisor, cycle: int) -> float:
    return float(hv.machine.clock.to_ns(cycle)) / 1000.0


def chrome_trace(hv: Hypervisor) -> dict[str, Any]:
    """Trace events in the Chrome JSON object format; times in microseconds of virtual time."""
    tracks = {name: index + 1 for index, name in enumerate(hv.vms)}
    tracks[IDLE_TRACK] = len(tracks) + 1
    events: list[dict[str, Any]] = [
        {"ph": "M", "name": "process_name", "pid": PROCESS_ID, "args": {"name": "rthv"}}
    ]
    events += [
        {"ph": "M", "name": "thread_name", "pid": PROCESS_ID, "tid": tid, "args": {"name": name}}
        for name, tid in tracks.items()
    ]
    running: tuple[str, int] | None = None
    for event in hv.trace:
        if isinstance(event, Switch):
            if running is not None:
                events.append(_slice(hv, tracks, running, event.cycle))
            new = event.new if event.new is not None and event.new in tracks else IDLE_TRACK
            running = (new, event.cycle)
        else:
            events.append(_instant(hv, tracks, event))
    if running is not None:
        events.append(_slice(hv, tracks, running, hv.machine.clock.now()))
    return {"traceEvents": events, "displayTimeUnit": "ns"}


def _slice(
    hv: Hypervisor, tracks: dict[str, int], running: tuple[str, int], end: int
) -> dict[str, Any]:
    name, start = running
    return {
        "ph": "X",
        "name": "running" if name != IDLE_TRACK else "idle",
        "pid": PROCESS_ID,
        "tid": tracks[name],
        "ts": _us(hv, start),
        "dur": _us(hv, end) - _us(hv, start),
    }


def _instant(hv: Hypervisor, tracks: dict[str, int], event: TraceEvent) -> dict[str, Any]:
    return {
        "ph": "i",
        "s": "t",
        "name": event.kind,
        "pid": PROCESS_ID,
        "tid": tracks.get(event.vm, tracks[IDLE_TRACK]),
        "ts": _us(hv, event.cycle),
        "args": {"detail": event.detail},
    }


def write_chrome_trace(hv: Hypervisor, path: Path) -> None:
    """Write the trace to ``path``."""
    path.write_text(json.dumps(chrome_trace(hv)))
