"""A user's scheduling plug-in that fails: never in silence, always in the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hv_support import PINGPONG_SHARED, two_vm_system
from rthv.tools.cli import main

PLUGINS = Path(__file__).parent / "plugins"
RAISES = f"{PLUGINS / 'faulty.py'}:RaisesOnThirdDecision"
IMAGES = ("rtos-pingpong-vm-a", "rtos-pingpong-vm-b")


def _system(tmp_path: Path, params: str = "") -> Path:
    path = two_vm_system(tmp_path, RAISES, IMAGES, params=params)
    path.write_text(path.read_text() + PINGPONG_SHARED)
    return path


def test_a_fallback_taking_over_is_said_loudly_and_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The policy raises, the fallback takes over: a warning, a summary line, the JSON."""
    path = _system(tmp_path, params='fallback = "round-robin"')
    report = tmp_path / "report.json"
    assert main(["run", str(path), "--until", "20ms", "--json", str(report)]) == 0
    captured = capsys.readouterr()
    (warning,) = captured.err.splitlines()
    assert warning.startswith("rthv: warning: scheduler policy")
    assert (
        "lost track of the queue" in warning and "the fallback 'round-robin' took over" in warning
    )
    assert "[rthv] scheduler: " in captured.out
    (failure,) = json.loads(report.read_text())["policy_failures"]
    assert failure["callback"] == "schedule()" and failure["replaced_by"] == "'round-robin'"
    assert "lost track of the queue" in failure["message"]


def test_a_failed_run_still_writes_its_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a fallback the run fails (exit 2); --json still gets what is known and why."""
    report = tmp_path / "report.json"
    assert main(["run", str(_system(tmp_path)), "--until", "20ms", "--json", str(report)]) == 2
    assert "lost track of the queue" in capsys.readouterr().err
    data = json.loads(report.read_text())
    assert data["stopped"] == "error" and "lost track of the queue" in data["error"]
    assert [vm["name"] for vm in data["vms"]] == ["a", "b"] and data["cycles"] > 0
    assert data["policy_failures"][0]["replaced_by"] is None


def test_a_run_that_never_booted_writes_the_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A configuration error: the report holds the error line."""
    bad, report = tmp_path / "bad.toml", tmp_path / "report.json"
    bad.write_text('board = "zynq"\n')
    assert main(["run", str(bad), "--json", str(report)]) == 2
    message = capsys.readouterr().err.strip().removeprefix("rthv: error: ")
    assert json.loads(report.read_text()) == {"stopped": "error", "error": message, "consoles": {}}
