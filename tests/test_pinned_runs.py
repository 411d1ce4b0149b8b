"""Pinned simulated behaviour: each example's consoles, counts and trace hash, fixed on purpose.

A change to timing, the trap path or the hypervisor's internals that alters what a guest sees, or
when, makes this test fail. If the change is meant, regenerate the pins and say why in the commit:

    .venv/bin/python tests/test_pinned_runs.py --update
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
PINS = REPO / "tests" / "fixtures" / "pinned_runs.json"

# (example, --until): every example system, run long enough to show what it is for.
RUNS = [
    ("two-rtos", "600ms"),
    ("pingpong-vm", "100ms"),
    ("pingpong-vm-fp", "100ms"),
    ("pingpong-vm-edf", "100ms"),
    ("rt-hog-fp", "300ms"),
    ("boot-vm", "10ms"),
    ("uboot-vm", "20ms"),
    ("estop", "110ms"),
    ("linux-rtos", "1100ms"),
    ("uboot-linux", "20ms"),
]

VM_FIGURES = ("instructions", "traps", "hypercalls", "injections", "gicd_accesses", "switches_in")


CLI = ("-m", "rthv.tools.cli")
RUN_TIMEOUT_S = 300  # host time: a run with no --until that never stops fails, not hangs


def observe(
    example: str, until: str | None, folder: Path, cli: tuple[str, ...] = CLI
) -> dict[str, Any]:
    """Run one example through the command line (``python *cli``), to ``until`` (None: no
    ``--until``); what it shows, reduced to comparable facts."""
    report, trace = folder / f"{example}.json", folder / f"{example}.trace.json"
    command = [sys.executable, *cli, "run", str(REPO / "examples" / f"{example}.toml")]
    command += [] if until is None else ["--until", until]
    command += ["--json", str(report), "--trace", str(trace)]
    subprocess.run(command, check=True, capture_output=True, timeout=RUN_TIMEOUT_S)
    data = json.loads(report.read_text())
    return {
        "stopped": data["stopped"],
        "virtual_time_ns": data["virtual_time_ns"],
        "world_switches": data["world_switches"],
        "vms": {vm["name"]: {key: vm[key] for key in VM_FIGURES} for vm in data["vms"]},
        "consoles_sha256": {
            name: hashlib.sha256(text.encode()).hexdigest()
            for name, text in sorted(data["consoles"].items())
        },
        "trace_sha256": hashlib.sha256(trace.read_bytes()).hexdigest(),
    }


@pytest.mark.parametrize(("example", "until"), RUNS)
def test_example_runs_as_pinned(example: str, until: str, tmp_path: Path) -> None:
    """The example's consoles, counts and trace are exactly the pinned ones."""
    pinned = json.loads(PINS.read_text())[f"{example}@{until}"]
    assert observe(example, until, tmp_path) == pinned


@pytest.mark.parametrize("example", ["pingpong-vm", "pingpong-vm-edf"])
def test_pingpong_without_until_stops_idle_once_both_vms_wait_for_good(
    example: str, tmp_path: Path
) -> None:
    """With no ``--until`` the ping-pong stops idle as soon as both VMs wait with nothing left
    to wake them, not at the end of time: under round robin each guest's SP804 runs free with
    its interrupt masked (no events; a masked zero every 2**32 ticks, 4,295 s), under EDF each
    VM's releases go on every 10 ms (timers that cannot wake a VM). It stops at the switch that
    left the CPU idle (the trace's last span, idle and empty), with the pinned consoles and
    counts of the run to 100 ms."""
    pinned = json.loads(PINS.read_text())[f"{example}@100ms"]
    seen = observe(example, None, tmp_path)
    assert seen["stopped"] == "idle"
    assert 0 < seen["virtual_time_ns"] < 100_000_000
    for fact in ("consoles_sha256", "vms", "world_switches"):
        assert seen[fact] == pinned[fact], fact
    last = json.loads((tmp_path / f"{example}.trace.json").read_text())["traceEvents"][-1]
    assert (last["name"], last["dur"]) == ("idle", 0)
    assert last["ts"] * 1000 == pytest.approx(seen["virtual_time_ns"])


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        pins = {f"{e}@{u}": observe(e, u, Path(scratch)) for e, u in RUNS}
    PINS.write_text(json.dumps(pins, indent=2, sort_keys=True) + "\n")
    print(f"wrote {PINS}")
