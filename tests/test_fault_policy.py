"""Per-VM fault policy: stop (the default), inject the abort into the guest, or restart the VM
from its images; in every case the other VMs run as if nothing happened."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from probe_support import HELLO, run_probe
from rthv.tools.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

STAGE2_READ = 10  # the probe reads 0x30000000, outside its memory


def test_stop_is_the_default(tmp_path: Path) -> None:
    """Without a policy the VM is stopped, as before."""
    system = run_probe(tmp_path, STAGE2_READ)
    (fault,) = system.hypervisor.faults
    assert fault.action == "stopped" and system.hypervisor.vms["p"].stopped
    assert system.console_text("p") == "probe 10 start\n"
    assert system.console_text("b") == HELLO


def test_inject_delivers_an_external_abort_the_guest_handles(tmp_path: Path) -> None:
    """fault = "inject": the guest takes a data abort (DFSR external, DFAR the address) and
    its own handler goes on."""
    system = run_probe(tmp_path, STAGE2_READ, keys='fault = "inject"')
    out = system.console_text("p")
    assert "probe: DABT dfsr=0x00000008 dfar=0x30000000\n" in out
    assert out.endswith("probe done und=0 dabt=1\n")
    vm = system.hypervisor.vms["p"]
    assert not vm.stopped and vm.counters.injected_aborts == 1
    (fault,) = system.hypervisor.faults
    assert fault.action == "injected" and fault.describe().startswith('vm "p" injected: Stage-2')
    assert system.console_text("b") == HELLO


def test_restart_resets_the_vm_from_its_images(tmp_path: Path) -> None:
    """fault = "restart": the VM starts again from its entry with fresh memory, each time."""
    system = run_probe(tmp_path, STAGE2_READ, keys='fault = "restart"', until_ms=3)
    out = system.console_text("p")
    vm = system.hypervisor.vms["p"]
    assert vm.counters.restarts >= 2 and not vm.stopped
    assert out == "probe 10 start\n" * out.count("probe 10 start\n")
    assert out.count("probe 10 start\n") in (vm.counters.restarts, vm.counters.restarts + 1)
    kinds = [event.kind for event in system.hypervisor.trace]
    assert kinds.count("restart") == min(vm.counters.restarts, kinds.count("fault"))
    assert system.console_text("b") == HELLO


def test_the_estop_example_restarts_the_app_and_the_control_vm_keeps_its_deadlines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """examples/estop.toml: the crashing application VM is restarted; the control VM misses no
    deadline and performs an emergency stop per crash: console, report and trace show it."""
    report, trace = tmp_path / "estop.json", tmp_path / "estop.trace.json"
    args = ["run", str(EXAMPLES / "estop.toml"), "--until", "110ms"]
    assert main([*args, "--json", str(report), "--trace", str(trace)]) == 0
    out = capsys.readouterr().out
    assert "[control] estop: at 100 ms: 99 jobs, 0 deadline misses" in out
    stops = re.findall(r"\[control\] estop: EMERGENCY STOP (\d+) at", out)
    vms = {vm["name"]: vm for vm in json.loads(report.read_text())["vms"]}
    restarts = vms["app"]["restarts"]
    assert restarts >= 4 and stops == [str(n) for n in range(1, restarts + 1)]
    assert vms["app"]["fault"] is None and vms["control"]["fault"] is None
    assert vms["control"]["deadline_misses"] == 0
    assert "EMERGENCY STOP 1 at" in json.loads(report.read_text())["consoles"]["control"]
    events = json.loads(trace.read_text())["traceEvents"]
    assert sum(e.get("name") == "restart" for e in events) == restarts
    tracks = {e["args"]["name"]: e["tid"] for e in events if e.get("name") == "thread_name"}
    notifies = [
        e
        for e in events
        if e.get("name") == "hvc" and e["tid"] == tracks["control"] and "fn=1" in str(e)
    ]
    assert len(notifies) == restarts  # each emergency stop notifies the application VM
