"""The public API: load a system, run it to exact times, wait for and type into consoles."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

import rthv
from hv_support import vm_toml, write_system
from rthv.board.run_result import StopCause
from rthv.hv.trace_log import Switch
from rthv.tools.api import to_ns

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TWO_RTOS = EXAMPLES / "two-rtos.toml"


def test_import_rthv_loads_nothing_heavy() -> None:
    """``import rthv`` alone imports neither the API nor the emulator; the first use does."""
    code = (
        "import sys, rthv; heavy = [m for m in ('rthv.tools.api', 'unicorn') if m in sys.modules];"
        "assert heavy == [], heavy; rthv.load; assert 'rthv.tools.api' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_durations_are_text_with_a_unit_or_nanoseconds() -> None:
    """``"2.5us"`` and 2500 are the same time; a negative number is refused."""
    assert to_ns("2.5us") == to_ns(2500) == Fraction(2500)
    with pytest.raises(ValueError, match="negative"):
        to_ns(-1)


def test_run_until_and_for_a_duration_end_exactly_there() -> None:
    """``until`` is a point of virtual time, ``duration`` a span from now."""
    system = rthv.load(TWO_RTOS)
    assert system.now_ns == 0
    assert system.run(until="2ms").cause is StopCause.UNTIL
    system.run(duration=1500)
    assert system.now_ns == 2_001_500
    with pytest.raises(ValueError, match="not both"):
        system.run(until="1s", duration="1s")


def test_expect_returns_the_match_and_stops_soon_after_it() -> None:
    """The match is returned; the run stopped well before the time allowed."""
    system = rthv.load(TWO_RTOS)
    console = system.vm("rtos-b").console
    found = console.expect(r"selftest: (\d+) passed", within="1s")
    assert found.group(1) == "84"
    assert console.text.endswith(found.group(0))  # nothing printed after the match yet
    assert system.now_ns < 600_000_000
    assert console.cursor == found.end()


def test_expect_searches_after_the_previous_match() -> None:
    """The same pattern twice finds two different lines."""
    console = rthv.load(TWO_RTOS).vm("rtos-a").console
    first = console.expect("PASS", within="10ms")
    second = console.expect("PASS", within="10ms")
    assert second.start() > first.start()


def test_a_timeout_names_the_vm_the_pattern_and_shows_the_console_tail() -> None:
    """The error says what was awaited, for how long, and what the VM printed instead."""
    system = rthv.load(TWO_RTOS)
    with pytest.raises(rthv.ExpectTimeout) as raised:
        system.vm("rtos-a").console.expect("never printed", within="3ms")
    message = str(raised.value)
    assert message.startswith('vm "rtos-a": /never printed/ not printed within 3 ms')
    last_line = system.vm("rtos-a").console.text.splitlines()[-1]
    assert f"  | {last_line}" in message
    assert system.now_ns == 3_000_000


def test_a_timeout_when_the_system_goes_idle_says_so(tmp_path: Path) -> None:
    """A VM that halts ends the wait at once, not at the end of ``within``."""
    system = rthv.load(write_system(tmp_path, vm_toml("a", "hello")))
    with pytest.raises(rthv.ExpectTimeout, match="went idle"):
        system.vm("a").console.expect("never", within="10s")
    assert system.now_ns < 10**9


def test_an_unknown_vm_is_named_with_the_ones_there_are() -> None:
    """Asking for a VM that is not there lists the system's VMs."""
    with pytest.raises(rthv.UnknownVm, match="no VM 'linux': the system has rtos-a, rtos-b"):
        rthv.load(TWO_RTOS).vm("linux")


def test_the_report_is_what_rthv_run_json_writes(tmp_path: Path) -> None:
    """``System.report`` after a run equals the command line's JSON report of the same run."""
    system = rthv.load(TWO_RTOS)
    system.run(until="5ms")
    out = tmp_path / "run.json"
    command = [sys.executable, "-m", "rthv.tools.cli", "run", str(TWO_RTOS), "--until", "5ms"]
    subprocess.run([*command, "--json", str(out)], check=True, capture_output=True)
    assert json.loads(json.dumps(system.report)) == json.loads(out.read_text())


def test_the_trace_is_typed_events_in_virtual_time() -> None:
    """Each event has its cycle, its time in ns, its kind and its VM; the first is a switch."""
    system = rthv.load(TWO_RTOS)
    system.run(until="1ms")
    trace = system.trace
    assert trace[0].kind == "switch" and trace[0].detail == "- -> rtos-a"
    first = trace[0].event
    assert isinstance(first, Switch) and (first.old, first.new, first.reason) == (
        None,
        "rtos-a",
        "idle",
    )
    assert all(event.time_ns == event.cycle for event in trace)  # 1 GHz: a cycle is 1 ns
    assert [event.cycle for event in trace] == sorted(event.cycle for event in trace)


def test_send_needs_a_uart(tmp_path: Path) -> None:
    """Typing into a VM with no UART is refused with its name."""
    config = vm_toml("a", "hello").replace('console = "uart0"\n', "")
    config = config.replace('[[vm.device]]\nname = "uart0"\nipa = 0x1c090000\n', "")
    system = rthv.load(write_system(tmp_path, config))
    with pytest.raises(ValueError, match='vm "a" has no UART'):
        system.vm("a").console.send("x")
