"""Reading ``rthv run`` output for pictures: traces give bars and marks, reports give figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rthv.tools.report_data import Bar, Mark, ReportInputError, kind_of, load_picture

TRACE = {
    "traceEvents": [
        {"ph": "M", "name": "thread_name", "pid": 1, "tid": 1, "args": {"name": "a"}},
        {"ph": "M", "name": "thread_name", "pid": 1, "tid": 2, "args": {"name": "b"}},
        {"ph": "M", "name": "thread_name", "pid": 1, "tid": 3, "args": {"name": "idle"}},
        {"ph": "X", "name": "running", "pid": 1, "tid": 1, "ts": 0.0, "dur": 30.0},
        {"ph": "X", "name": "running", "pid": 1, "tid": 2, "ts": 30.0, "dur": 10.0},
        {"ph": "X", "name": "idle", "pid": 1, "tid": 3, "ts": 40.0, "dur": 60.0},
        {"ph": "i", "s": "t", "name": "irq", "pid": 1, "tid": 2, "ts": 35.0, "args": {}},
        {
            "ph": "i",
            "s": "t",
            "name": "hvc",
            "pid": 1,
            "tid": 1,
            "ts": 5.0,
            "args": {"detail": "x"},
        },
    ]
}


def _write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_a_trace_gives_bars_marks_and_shares_without_idle(tmp_path: Path) -> None:
    """Slices become bars per VM (idle is not a VM); instants become marks; shares follow."""
    picture = load_picture([_write(tmp_path, "t.json", TRACE)])
    assert picture.vms == ["a", "b"]
    assert picture.bars == [Bar("a", 0.0, 30.0), Bar("b", 30.0, 40.0)]
    assert picture.marks == [Mark("b", 35.0, "irq"), Mark("a", 5.0, "hvc", "x")]
    assert [(s.vm, s.cpu_share) for s in picture.shares] == [("a", 0.75), ("b", 0.25)]
    assert (picture.has_trace, picture.has_report) == (True, False)


def test_a_report_adds_deadline_misses_as_marks(tmp_path: Path) -> None:
    """Each deadline miss of the report is a mark on its VM's row."""
    report = {
        "virtual_time_ns": 1e6,
        "vms": [],
        "deadline_misses": [{"vm": "a", "deadline_ns": 9e5, "time_ns": 9.5e5, "detail": "job 3"}],
    }
    picture = load_picture([_write(tmp_path, "r.json", report)])
    assert picture.marks == [Mark("a", 950.0, "miss", "job 3")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not JSON"),
        ("{}", "neither a run report"),
        ('{"traceEvents": [{"ph": "i", "tid": 1}]}', "a trace file is incomplete"),
    ],
)
def test_bad_input_is_named(tmp_path: Path, content: str, message: str) -> None:
    """A file that is not rthv output is refused with its name and what is wrong."""
    path = tmp_path / "x.json"
    path.write_text(content)
    with pytest.raises(ReportInputError, match=message):
        load_picture([path])


def test_kind_of_tells_reports_from_traces() -> None:
    """The keys decide: traceEvents for a trace, vms and virtual_time_ns for a report."""
    assert kind_of(TRACE) == "trace"
    assert kind_of({"vms": [], "virtual_time_ns": 0}) == "report"
