"""Pictures of a run: the timeline's bars are the trace's world switches, and nothing is blank."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import pytest
from matplotlib.patches import Rectangle

import rthv
from rthv.hv.trace_log import Switch
from rthv.tools.pictures import markdown_table, share_table, timeline_figure
from rthv.tools.report_data import load_picture

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _held(system: rthv.System) -> dict[str, list[tuple[float, float]]]:
    """From the trace's switch events: when each VM held the CPU, (start, end) in ms."""
    held: dict[str, list[tuple[float, float]]] = {vm.name: [] for vm in system.vms}
    running: tuple[str, float] | None = None
    for event in system.trace:
        if event.kind != "switch":
            continue
        if running is not None and running[0] in held:
            held[running[0]].append((running[1], float(event.time_ns) / 1e6))
        assert isinstance(event.event, Switch)
        running = (event.event.new or "-", float(event.time_ns) / 1e6)
    if running is not None and running[0] in held:
        held[running[0]].append((running[1], float(system.now_ns) / 1e6))
    return held


@pytest.mark.parametrize(("example", "until"), [("two-rtos", "5ms"), ("rt-hog-fp", "100ms")])
def test_rthv_report_draws_the_trace(example: str, until: str, tmp_path: Path) -> None:
    """`rthv run --json --trace`, then `rthv report`: every file is there, the bars are the
    switches of the same run made through the API, and each picture has something in it."""
    config = EXAMPLES / f"{example}.toml"
    run, trace = tmp_path / "run.json", tmp_path / "trace.json"
    cli = [sys.executable, "-m", "rthv.tools.cli"]
    subprocess.run(
        [*cli, "run", str(config), "--until", until, "--json", str(run), "--trace", str(trace)],
        check=True,
        capture_output=True,
    )
    out = tmp_path / "pictures"
    subprocess.run(
        [*cli, "report", str(run), str(trace), "--out", str(out), "--html"],
        check=True,
        capture_output=True,
    )
    names = {"timeline.png", "latency.png", "tables.md", "report.html"}
    assert {path.name for path in out.iterdir()} == names

    system = rthv.load(config)
    system.run(until=until)
    figure = timeline_figure(load_picture([run, trace]))
    drawn: dict[str, list[tuple[float, float]]] = {vm.name: [] for vm in system.vms}
    for patch in figure.axes[0].patches:
        assert isinstance(patch, Rectangle)
        vm = str(patch.get_gid()).removeprefix("bars:")
        drawn[vm].append((patch.get_x(), patch.get_x() + patch.get_width()))
    expected = _held(system)
    assert all(expected.values())  # every VM ran
    for vm, bars in expected.items():
        assert drawn[vm] == [pytest.approx(bar, abs=1e-9) for bar in bars]

    for picture in ("timeline.png", "latency.png"):
        pixels = matplotlib.image.imread(out / picture)
        ink = (pixels[:, :, :3].sum(axis=2) < 2.9).mean()  # not white
        assert ink > 0.01, f"{picture} is blank"
    if example == "rt-hog-fp":  # rt-periodic reports its tasks: their table comes too
        assert "| rt/tau1 | 20000 | 20000 |" in (out / "tables.md").read_text()
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 2
    assert all(f"<td>{vm}</td>" in page for vm in expected)


def test_the_share_table_has_a_row_per_vm_from_the_report(tmp_path: Path) -> None:
    """CPU share and run time per VM, with the report's switch counts and latencies."""
    report = {
        "virtual_time_ns": 2_000_000.0,
        "vms": [
            {
                "name": "a",
                "cpu_share": 0.25,
                "switches_in": 3,
                "preemptions": 1,
                "waits": 2,
                "deadline_misses": 0,
                "irq_latency_us": [1.0, 2.0, 3.0],
                "irq_latency_histogram_us": [[1.0, 1], [3.0, 1]],
            }
        ],
        "deadline_misses": [],
    }
    path = tmp_path / "run.json"
    path.write_text(json.dumps(report))
    rows = share_table(load_picture([path]))
    assert rows[1] == ["a", "25.0%", "0.500", "3", "1", "2", "0", "1.000 / 2.000 / 3.000"]
    assert markdown_table(rows).splitlines()[1] == "|---|---|---|---|---|---|---|---|"
