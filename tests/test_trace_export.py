"""Exporting the hypervisor's trace as Chrome/Perfetto JSON."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from hv_support import PINGPONG_SHARED, run, two_vm_system
from rthv.tools.trace_export import write_chrome_trace


def test_trace_has_one_track_per_vm_with_disjoint_cpu_slices_and_every_hypercall(
    tmp_path: Path,
) -> None:
    """Slices on the CPU never overlap, follow each other in time, and every HVC is an instant."""
    config = two_vm_system(tmp_path, "round-robin", ("rtos-pingpong-vm-a", "rtos-pingpong-vm-b"))
    config.write_text(config.read_text() + PINGPONG_SHARED)
    system = run(config, until_ms=30)
    out = tmp_path / "trace.json"
    write_chrome_trace(system.hypervisor, out)
    events = json.loads(out.read_text())["traceEvents"]
    names = {e["args"]["name"]: e["tid"] for e in events if e.get("name") == "thread_name"}
    assert set(names) == {"a", "b", "idle"}
    slices = sorted((e["ts"], e["ts"] + e["dur"], e["tid"]) for e in events if e["ph"] == "X")
    assert len(slices) > 100
    for (_, end, _), (start, _, _) in itertools.pairwise(slices):
        assert end <= start + 1e-9
    hvcs = [e for e in events if e["ph"] == "i" and e["name"] == "hvc"]
    counted = sum(vm.counters.hypercalls for vm in system.hypervisor.vms.values())
    assert len(hvcs) == counted > 0
    assert {e["tid"] for e in hvcs} == {names["a"], names["b"]}
