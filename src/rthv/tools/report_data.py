"""What the pictures of a run show, read from ``rthv run --trace`` and ``--json`` output.

The trace (Chrome JSON) gives the timeline: when each VM held the CPU, and its IRQs, hypercalls,
faults and ignored accesses. The run report (JSON) gives the per-VM figures, the interrupt
latency histograms and the deadline misses. Either alone is enough for what it holds.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

IDLE = "idle"


class ReportInputError(ValueError):
    """A file given to ``rthv report`` is neither a run report nor a trace."""


@dataclass(frozen=True)
class Bar:
    """A VM held the CPU from ``start_us`` to ``end_us`` (virtual time)."""

    vm: str
    start_us: float
    end_us: float


@dataclass(frozen=True)
class Mark:
    """Something that happened to a VM at an instant: ``irq``, ``hvc``, ``fault``, ``miss``, ..."""

    vm: str
    time_us: float
    kind: str
    detail: str = ""


@dataclass(frozen=True)
class ShareRow:
    """One VM's line of the CPU-share table."""

    vm: str
    cpu_share: float
    run_ms: float
    switches_in: int | None = None
    preemptions: int | None = None
    waits: int | None = None
    deadline_misses: int | None = None
    irq_latency_us: tuple[float, float, float] | None = None


@dataclass
class RunPicture:
    """Everything the pictures show; filled from a trace, a run report, or both."""

    vms: list[str] = field(default_factory=list)
    end_us: float = 0.0
    bars: list[Bar] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    latencies_us: dict[str, Counter[float]] = field(default_factory=dict)
    shares: list[ShareRow] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)  # per-task metrics, as reported
    has_trace: bool = False
    has_report: bool = False

    def add_trace(self, trace: dict[str, Any]) -> None:
        """Bars and marks from a Chrome trace written by ``rthv run --trace``."""
        names: dict[int, str] = {}
        for event in trace["traceEvents"]:
            if event.get("ph") == "M" and event.get("name") == "thread_name":
                names[event["tid"]] = event["args"]["name"]
        for name in names.values():
            if name != IDLE and name not in self.vms:
                self.vms.append(name)
        for event in trace["traceEvents"]:
            vm = names.get(event.get("tid", -1), IDLE)
            if event.get("ph") == "X" and vm != IDLE:
                bar = Bar(vm, event["ts"], event["ts"] + event["dur"])
                self.bars.append(bar)
                self.end_us = max(self.end_us, bar.end_us)
            elif event.get("ph") == "i":
                detail = event.get("args", {}).get("detail", "")
                self.marks.append(Mark(vm, event["ts"], event["name"], detail))
                self.end_us = max(self.end_us, event["ts"])
        self.has_trace = True
        if not self.has_report:
            self.shares = self._shares_from_bars()

    def add_report(self, report: dict[str, Any]) -> None:
        """Per-VM figures, latency histograms and deadline misses from a ``--json`` report."""
        self.end_us = max(self.end_us, report["virtual_time_ns"] / 1000)
        self.shares = []
        for vm in report["vms"]:
            name = vm["name"]
            if name not in self.vms:
                self.vms.append(name)
            latency = vm.get("irq_latency_us")
            self.shares.append(
                ShareRow(
                    name,
                    vm["cpu_share"],
                    vm["cpu_share"] * report["virtual_time_ns"] / 1e6,
                    vm["switches_in"],
                    vm["preemptions"],
                    vm["waits"],
                    vm["deadline_misses"],
                    None if latency is None else (latency[0], latency[1], latency[2]),
                )
            )
            histogram = vm.get("irq_latency_histogram_us", [])
            self.latencies_us[name] = Counter({float(us): count for us, count in histogram})
        self.tasks = [task for tasks in report.get("tasks", {}).values() for task in tasks]
        for miss in report.get("deadline_misses", []):
            self.marks.append(Mark(miss["vm"], miss["time_ns"] / 1000, "miss", miss["detail"]))
        self.has_report = True

    def _shares_from_bars(self) -> list[ShareRow]:
        held = dict.fromkeys(self.vms, 0.0)
        for bar in self.bars:
            held[bar.vm] += bar.end_us - bar.start_us
        end = self.end_us or 1.0
        return [ShareRow(vm, held[vm] / end, held[vm] / 1000) for vm in self.vms]


def kind_of(data: dict[str, Any]) -> str:
    """``trace`` or ``report``: which ``rthv run`` output ``data`` is."""
    if "traceEvents" in data:
        return "trace"
    if "vms" in data and "virtual_time_ns" in data:
        return "report"
    raise ReportInputError("neither a run report (--json) nor a trace (--trace)")


def load_picture(paths: list[Path]) -> RunPicture:
    """A picture from ``rthv run`` output files: a run report, a trace, or one of each."""
    picture = RunPicture()
    loaded: list[tuple[str, dict[str, Any]]] = []
    for path in paths:
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            raise ReportInputError(f"{path}: not JSON ({error.msg}, line {error.lineno})") from None
        try:
            loaded.append((kind_of(data), data))
        except ReportInputError as error:
            raise ReportInputError(f"{path}: {error}") from None
    for kind, data in sorted(loaded, key=lambda item: item[0] != "report"):
        try:
            picture.add_report(data) if kind == "report" else picture.add_trace(data)
        except (KeyError, TypeError, IndexError) as error:
            raise ReportInputError(f"a {kind} file is incomplete ({error!r})") from None
    return picture
