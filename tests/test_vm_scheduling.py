"""Each scheduling policy on real RTOS VMs: shares, preemptions and deadlines as specified."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import rthv
from hv_support import PINGPONG_SHARED, run
from hv_support import two_vm_system as _two_vms

TICK_CYCLES = 1_000_000  # the RTOS tick, 1 ms at 1 GHz: "within one tick"


def _cycles(system: rthv.System) -> dict[str, int]:
    return {name: vm.cycles_run for name, vm in system.hypervisor.scheduler.stats().vms.items()}


def _misses(output: str) -> int:
    summary = re.search(r"summary: (\d+) jobs completed, (\d+) deadline misses", output)
    assert summary is not None, output
    return int(summary.group(2))


def test_fixed_priority_rt_vm_meets_every_deadline_over_a_hog(tmp_path: Path) -> None:
    """rt-periodic above a bursty hog (20 ms work, 20 ms asleep): no miss; the hog progresses."""
    path = _two_vms(
        tmp_path,
        "fixed-priority",
        ("rtos-rt-periodic-vm-a", "rtos-hog-burst-vm-b"),
        ("priority = 0", "priority = 1"),
    )
    system = run(path, until_ms=1200)
    assert _misses(system.console_text("a")) == 0
    assert "hog heartbeat 5\n" in system.console_text("b")
    stats = system.hypervisor.scheduler.stats().vms
    assert stats["b"].preemptions > 100 and stats["a"].preemptions == 0
    # Its interrupts wait for one world switch at most (8,799 cycles), never for the hog.
    latency = system.hypervisor.vms["a"].latency
    assert latency.count > 1000 and latency.maximum < 2 * system.hypervisor.costs.world_switch


def test_fixed_priority_swapped_the_rt_vm_misses_deadlines(tmp_path: Path) -> None:
    """The same two VMs with the priorities swapped: the hog's 20 ms bursts make rt miss."""
    path = _two_vms(
        tmp_path,
        "fixed-priority",
        ("rtos-rt-periodic-vm-a", "rtos-hog-burst-vm-b"),
        ("priority = 1", "priority = 0"),
    )
    system = run(path, until_ms=2500)
    assert _misses(system.console_text("a")) > 0
    stats = system.hypervisor.scheduler.stats().vms
    assert stats["a"].preemptions > 100 and stats["b"].preemptions == 0
    assert (
        system.hypervisor.vms["a"].latency.maximum > 1_000_000
    )  # waited through a hog burst (> 1 ms)


def test_round_robin_switches_on_wfi_and_on_quantum_expiry(tmp_path: Path) -> None:
    """rt-periodic waits (WFI) and the hog exhausts quanta: both kinds of switch happen."""
    path = _two_vms(
        tmp_path,
        "round-robin",
        ("rtos-rt-periodic-vm-a", "rtos-hog-vm-b"),
        params="params = { quantum_us = 2000 }",
    )
    system = run(path, until_ms=300)
    stats = system.hypervisor.scheduler.stats().vms
    assert stats["a"].waits > 50  # switched out on WFI
    assert stats["b"].preemptions > 50  # switched out at quantum expiry
    assert "hog heartbeat 1\n" in system.console_text("b")


def test_round_robin_shares_the_cpu_evenly_between_two_hogs(tmp_path: Path) -> None:
    """Two CPU-bound VMs under round robin get equal time, to within one quantum."""
    path = _two_vms(
        tmp_path,
        "round-robin",
        ("rtos-hog-vm-a", "rtos-hog-vm-b"),
        params="params = { quantum_us = 2000 }",
    )
    system = run(path, until_ms=500)
    cycles = _cycles(system)
    assert abs(cycles["a"] - cycles["b"]) <= 2_000_000
    assert "hog heartbeat 2\n" in system.console_text(
        "a"
    ) and "hog heartbeat 2\n" in system.console_text("b")


def test_edf_two_periodic_vms_meet_all_vm_deadlines(tmp_path: Path) -> None:
    """EDF over two VMs of utilisation 0.4 each: every VM job meets its deadline."""
    path = _two_vms(
        tmp_path,
        "edf",
        ("rtos-rt-periodic-vm-a", "rtos-rt-periodic-vm-b"),
        ("period_us = 10000\nbudget_us = 4000", "period_us = 20000\nbudget_us = 8000"),
    )
    system = run(path, until_ms=600)
    stats = system.hypervisor.scheduler.stats()
    assert stats.vms["a"].jobs_released >= 59 and stats.vms["b"].jobs_released >= 29
    assert stats.misses == ()


@pytest.mark.parametrize(
    ("policy", "sched", "params", "share_ms"),
    [
        (
            "rtds",
            ("budget_us = 3000\nperiod_us = 10000", "budget_us = 5000\nperiod_us = 10000"),
            "",
            (3, 5),
        ),
        ("arinc653", ("", ""), 'params = { frame = [["a", 4000], ["b", 6000]] }', (4, 6)),
    ],
    ids=["rtds", "arinc653"],
)
def test_budget_and_window_shares_within_one_tick(
    tmp_path: Path, policy: str, sched: tuple[str, str], params: str, share_ms: tuple[int, int]
) -> None:
    """Over 50 periods of 10 ms, each VM runs exactly its budget/window share, within a tick."""
    path = _two_vms(tmp_path, policy, ("rtos-hog-vm-a", "rtos-hog-vm-b"), sched, params)
    system = run(path, until_ms=500)
    cycles = _cycles(system)
    for name, ms in zip(("a", "b"), share_ms, strict=True):
        assert abs(cycles[name] - 50 * ms * TICK_CYCLES) <= TICK_CYCLES


@pytest.mark.parametrize(
    ("policy", "sched"),
    [
        ("fixed-priority", ("priority = 0", "priority = 1")),
        ("edf", ("period_us = 10000", "period_us = 10000")),
        ("round-robin", ("", "")),
    ],
    ids=["fixed-priority", "edf", "round-robin"],
)
def test_pingpong_vm_completes_with_the_right_checksums(
    tmp_path: Path, policy: str, sched: tuple[str, str]
) -> None:
    """The paper's experiment: 1,000 messages each way between two RTOS VMs, content checked."""
    path = _two_vms(tmp_path, policy, ("rtos-pingpong-vm-a", "rtos-pingpong-vm-b"), sched)
    path.write_text(path.read_text() + PINGPONG_SHARED)
    system = run(path, until_ms=200)
    for name in ("a", "b"):
        output = system.console_text(name)
        checksum = re.search(r"checksum (0x[0-9a-f]+) \(expected (0x[0-9a-f]+)\)", output)
        assert checksum is not None and checksum.group(1) == checksum.group(2), output
        assert "pingpong-vm: PASS (0 errors)" in output
    assert (
        system.hypervisor.ipc.counters[0].sent >= 1000
        and system.hypervisor.ipc.counters[1].sent >= 1000
    )


PLUGINS = Path(__file__).parent / "plugins"


def test_a_plugin_from_the_users_own_file_runs_a_two_vm_system(tmp_path: Path) -> None:
    """A policy class in a file outside the package, named in the TOML, schedules pingpong-vm."""
    path = _two_vms(
        tmp_path,
        f"{PLUGINS / 'lifo_wake.py'}:MostRecentlyWokenFirst",
        ("rtos-pingpong-vm-a", "rtos-pingpong-vm-b"),
    )
    path.write_text(path.read_text() + PINGPONG_SHARED)
    system = run(path, until_ms=200)
    assert system.hypervisor.scheduler.policy.name == "most-recently-woken-first"
    for name in ("a", "b"):
        assert "pingpong-vm: PASS (0 errors)" in system.console_text(name)


@pytest.mark.parametrize(
    ("plugin", "message"),
    [
        ("RaisesOnThirdDecision", "lost track of the queue"),
        ("PicksAWaitingVm", "not runnable"),
    ],
)
def test_a_faulty_plugin_is_reported_by_name_and_stops_the_run_cleanly(
    tmp_path: Path, plugin: str, message: str
) -> None:
    """`rthv run` ends with exit 2 and one line naming the plug-in, its file and the fault."""
    path = _two_vms(
        tmp_path,
        f"{PLUGINS / 'faulty.py'}:{plugin}",
        ("rtos-pingpong-vm-a", "rtos-pingpong-vm-b"),
    )
    path.write_text(path.read_text() + PINGPONG_SHARED)
    completed = subprocess.run(
        [sys.executable, "-m", "rthv.tools.cli", "run", str(path), "--until", "50ms"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2, completed.stdout[-500:]
    error = completed.stderr.strip().splitlines()
    assert len(error) == 1 and "faulty.py" in error[0] and message in error[0], error
    assert "Traceback" not in completed.stderr
