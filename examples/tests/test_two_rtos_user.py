"""A user's test of the two-RTOS system, written only against rthv's public API.

`make test` runs it through rthv's pytest plugin, which provides the ``rthv_system`` fixture.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

import rthv

LoadSystem = Callable[..., rthv.System]


def test_both_vms_pass_their_selftest(rthv_system: LoadSystem) -> None:
    """Each VM runs the same RTOS self-test to the end, with nothing failed and no fault."""
    system = rthv_system("../two-rtos.toml")
    for name in ("rtos-a", "rtos-b"):
        done = system.vm(name).console.expect(r"selftest: (\d+) passed, (\d+) failed", "600ms")
        assert int(done.group(1)) > 0 and done.group(2) == "0"
    system.run(until="600ms")
    report = system.report
    assert report["stopped"] == "idle"  # both RTOSes halted; nothing more can happen
    assert all(vm.fault is None for vm in system.vms)


def test_the_vms_take_turns_on_the_cpu(rthv_system: LoadSystem) -> None:
    """The trace's world switches hand the CPU to each VM in turn."""
    system = rthv_system("../two-rtos.toml")
    system.run(until="10ms")
    assert system.now_ns == 10_000_000  # a run to a time ends exactly there
    switches = [event.detail for event in system.trace if event.kind == "switch"]
    assert switches[0] == "- -> rtos-a"  # the first VM of the configuration runs first
    assert {"rtos-a", "rtos-b"} <= {detail.split(" -> ")[1] for detail in switches}


def test_a_missing_line_fails_with_the_console_tail(rthv_system: LoadSystem) -> None:
    """An expectation that is never met names the pattern and shows what the VM printed."""
    system = rthv_system("../two-rtos.toml")
    with pytest.raises(rthv.ExpectTimeout, match=r"/no such line/ not printed within 1 ms"):
        system.vm("rtos-a").console.expect("no such line", within="1ms")
    assert system.now_ns == 1_000_000
