"""The speed benchmark's plumbing: its table, its JSON, and the timed runs (never their times)."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from rthv.tools.bench import (
    END_MARKER,
    SpeedResult,
    speed_markdown,
    time_process,
    time_rthv,
    time_unicorn_ceiling,
    write_json,
)
from rthv.tools.paper import PaperResult, PingPong, SweepPoint
from support import guest_image

RESULT = SpeedResult(
    image="guests/build/vexpress-a15/compute.elf",
    instructions=12_345_678,
    repetitions=3,
    rthv_seconds=1.5,
    qemu_seconds=0.25,
    unicorn_seconds=0.75,
    rthv_mips=8.2,
    qemu_mips=30.0,
    unicorn_mips=10.0,
    ratio=0.273,
    ratio_to_unicorn=0.82,
    native_counter=True,
    host="x86_64, 2 cores, Python 3.11.9",
    engine="rthv1",
    modules="compiled",
)


def test_speed_markdown_renders_one_row_per_simulator_and_the_ratios() -> None:
    """The engine build, thousands separators, seconds, MIPS; the ratios, the derived one too."""
    assert speed_markdown(RESULT).splitlines() == [
        "| simulator | instructions | CPU time (median) | MIPS |",
        "|---|---:|---:|---:|",
        "| rthv board (engine: rthv1; modules: compiled) | 12,345,678 | 1.5 s | 8.2 |",
        "| qemu-system-arm (TCG) | 12,345,678 | 0.25 s | 30.0 |",
        "| bare Unicorn, no hooks (the ceiling) | 12,345,678 | 0.75 s | 10.0 |",
        "| **ratio rthv / QEMU** | | | **0.273** |",
        "| ratio rthv / bare Unicorn | | | 0.82 |",
        "| ratio bare Unicorn / QEMU | | | 0.333 |",  # 10 / 30, rounded to 3 places
    ]


def test_write_json_round_trips_a_speed_result(tmp_path: Path) -> None:
    """The file (its folder created) reads back into an equal SpeedResult."""
    path = tmp_path / "figures" / "speed.json"
    write_json(RESULT, path)
    text = path.read_text()
    assert text.endswith("}\n")
    assert json.loads(text) == asdict(RESULT)
    assert SpeedResult(**json.loads(text)) == RESULT


def test_write_json_keeps_nested_tables(tmp_path: Path) -> None:
    """A result with nested fields (the paper's) round-trips too."""
    paper = PaperResult(
        1, 2, 3, [PingPong("edf", 5, 6, "no wait")], [SweepPoint(3000, "1.5", 5, 9)], 7, {"core": 7}
    )
    path = tmp_path / "paper.json"
    write_json(paper, path)
    data = json.loads(path.read_text())
    data["pingpong"] = [PingPong(**row) for row in data["pingpong"]]
    data["sweep"] = [SweepPoint(**point) for point in data["sweep"]]
    assert PaperResult(**data) == paper


def test_time_rthv_counts_the_guests_instructions() -> None:
    """hello on the board: its 303 instructions, and some wall time."""
    instructions, seconds = time_rthv(guest_image("hello"))
    assert instructions == 303
    assert seconds > 0


def test_time_unicorn_ceiling_runs_the_image() -> None:
    """Bare Unicorn runs hello to its final WFI: everything it prints is collected."""
    _seconds, printed = time_unicorn_ceiling(guest_image("hello"))
    assert printed == b"Hello from rthv guest\nhello done\n"  # the whole program ran


def test_the_later_tables_appear_when_measured() -> None:
    """Whole-process figures, traps and workloads each add a table after the compute one."""
    result = replace(
        RESULT,
        whole_process={
            "rthv_cpu_seconds": 1.6,
            "qemu_cpu_seconds": 0.4,
            "rthv_wall_seconds": 2.0,
            "qemu_wall_seconds": 1.0,
            "ratio_cpu": 0.25,
            "ratio_wall": 0.5,
        },
        trap_us={"hvc": 20.0},
        workloads={"pingpong-vm": {"instructions": 10, "host_seconds": 1.0, "mips": 0.0}},
    )
    tables = speed_markdown(result).split("\n\n")
    assert len(tables) == 4
    assert tables[0] == speed_markdown(RESULT)
    assert "| **rthv speed / deterministic QEMU** (median of pairs) | **0.25** | 0.5 |" in tables[1]
    assert "20.0 us" in tables[2] and "pingpong-vm" in tables[3]


def test_time_process_stops_a_process_at_its_marker() -> None:
    """A process that prints the marker and then sleeps is killed there and timed."""
    script = "import sys, time; print('compute done', flush=True); time.sleep(60)"
    wall, cpu = time_process([sys.executable, "-c", script], END_MARKER)
    assert 0 < wall < 60
    assert cpu >= 0


def test_time_process_refuses_a_process_that_never_prints_the_marker() -> None:
    """No marker, no figure: the run did not do what was measured."""
    with pytest.raises(RuntimeError, match="did not print"):
        time_process([sys.executable, "-c", "print('something else')"], END_MARKER)
