"""A user's scheduling plug-in that fails: never in silence, always in the report."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hv_support import PINGPONG_SHARED, two_vm_system, vm_toml, write_system
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


STUCK = PLUGINS / "faulty.py"


def _line_of(path: Path, text: str) -> int:
    """The number of the line of ``path`` that contains ``text``."""
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def _hello_pair(tmp_path: Path, policy: str) -> Path:
    a, b = vm_toml("a", "hello"), vm_toml("b", "hello", uart="uart1")
    return write_system(tmp_path, a, b, head=f'[scheduler]\npolicy = "{policy}"\n')


def test_a_policy_idling_the_cpu_while_vms_are_runnable_is_warned_and_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A policy that always answers None: the run idles at once, but never in silence."""
    path, report = _hello_pair(tmp_path, f"{STUCK}:AlwaysIdle"), tmp_path / "report.json"
    assert main(["run", str(path), "--until", "5ms", "--json", str(report)]) == 0
    (warning,) = capsys.readouterr().err.splitlines()
    assert warning.startswith("rthv: warning: the scheduling policy left the CPU idle")
    assert "while VMs were runnable" in warning
    assert json.loads(report.read_text())["idle_while_runnable"] >= 1


def test_the_error_line_names_where_the_plugin_raised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --debug: one line, with the plug-in's file and the line that raised."""
    assert main(["run", str(_system(tmp_path)), "--until", "20ms"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    raised = _line_of(PLUGINS / "faulty.py", 'raise RuntimeError("lost track')
    assert f"faulty.py:{raised}" in line and "Traceback" not in line


def test_debug_shows_the_plugin_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--debug: the plug-in's traceback, file and line, after the one-line error."""
    assert main(["run", str(_system(tmp_path)), "--until", "20ms", "--debug"]) == 2
    err = capsys.readouterr().err
    raised = _line_of(PLUGINS / "faulty.py", 'raise RuntimeError("lost track')
    assert "Traceback" in err and f'{PLUGINS / "faulty.py"}", line {raised}' in err


def _spinning_run(path: Path, *extra: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "rthv.tools.cli", "run", str(path), "--until", "5ms", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    assert process.stderr.readline() == "loops-on-third-decision: spinning\n"
    return process


def _finished(process: subprocess.Popen[str], timeout: float) -> str:
    """Its stderr once it ends; killed if it has not ended within ``timeout`` seconds (a
    watchdog that missed the loop leaves nothing spinning after the test)."""
    try:
        _out, err = process.communicate(timeout=timeout)
    finally:
        process.kill()
    return err


def test_a_callback_that_never_returns_is_stopped_by_the_watchdog(tmp_path: Path) -> None:
    """An endless loop in schedule(): the callback budget ends it, naming callback and line."""
    path = _hello_pair(tmp_path, f"{STUCK}:LoopsOnThirdDecision")
    process = _spinning_run(path, "--callback-budget", "0.5")
    err = _finished(process, 60)
    assert process.returncode == 2
    (line,) = err.splitlines()
    spin = _line_of(STUCK, "while True:")
    assert "schedule()" in line and "0.5 s of host time" in line
    assert f"faulty.py:{spin}" in line or f"faulty.py:{spin + 1}" in line


def test_ctrl_c_interrupts_a_callback_that_never_returns(tmp_path: Path) -> None:
    """SIGINT while a policy callback spins: the run ends (130) and says where it was."""
    path = _hello_pair(tmp_path, f"{STUCK}:LoopsOnThirdDecision")
    process = _spinning_run(path, "--callback-budget", "600")
    process.send_signal(signal.SIGINT)
    err = _finished(process, 60)
    assert process.returncode == 130
    (line,) = err.splitlines()
    assert line.startswith("rthv: interrupted in the scheduling policy's schedule() at ")
    assert "faulty.py:" in line


def test_a_notification_that_never_returns_is_stopped_by_the_watchdog(tmp_path: Path) -> None:
    """An endless loop in yield_() (a notification: the WFI's) is ended as schedule()'s is."""
    path = _hello_pair(tmp_path, f"{STUCK}:LoopsInYield")
    command = [sys.executable, "-m", "rthv.tools.cli", "run", str(path), "--until", "5ms"]
    process = subprocess.Popen(
        [*command, "--callback-budget", "0.5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    err = _finished(process, 30)
    assert process.returncode == 2
    spinning, line = err.splitlines()
    assert spinning == "loops-in-yield: spinning"
    assert "yield_('a')" in line or "yield_('b')" in line
    assert "0.5 s of host time" in line and "faulty.py:" in line
