"""Running a system: console lines prefixed by source, the per-VM summary and the JSON report."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

from hv_support import run, vm_toml, write_system
from rthv.board.run_result import RunResult, StopCause
from rthv.board.stop_request import StopRequest
from rthv.hv.trace_log import Switch
from rthv.tools.system import (
    LinePrefixer,
    StepRun,
    VmSummary,
    run_report,
    run_system,
    summarise,
)

TWO_RTOS = Path(__file__).resolve().parents[1] / "examples" / "two-rtos.toml"
TWO_HELLO = Path(__file__).parent / "fixtures" / "systems" / "two-hello.toml"
HELLO = "Hello from rthv guest\nhello done\n"


class _Lines(list[str]):
    """Collects emitted lines as ``[source] line``."""

    def __call__(self, source: str, line: str) -> None:
        self.append(f"[{source}] {line}")


def _prefixer() -> tuple[LinePrefixer, list[str]]:
    lines = _Lines()
    return LinePrefixer(lines), lines


# -- LinePrefixer -------------------------------------------------------------------------------


def test_a_line_split_across_chunks_is_emitted_once_whole() -> None:
    """Bytes arrive a few at a time; the line comes out when its newline does."""
    prefixer, lines = _prefixer()
    prefixer("a", b"Hel")
    prefixer("a", b"lo")
    assert lines == []
    prefixer("a", b" world\nnext")
    assert lines == ["[a] Hello world"]


def test_sources_are_kept_apart_even_when_interleaved() -> None:
    """Two sources writing in turns: each line keeps its own source's text."""
    prefixer, lines = _prefixer()
    prefixer("a", b"one ")
    prefixer("b", b"uno ")
    prefixer("a", b"two\n")
    prefixer("b", b"dos\n")
    assert lines == ["[a] one two", "[b] uno dos"]
    assert prefixer.text == {"a": "one two\n", "b": "uno dos\n"}


def test_crlf_line_ends_lose_the_carriage_return() -> None:
    """A CRLF-terminated line is emitted without the CR; a CR inside a line stays."""
    prefixer, lines = _prefixer()
    prefixer("a", b"first\r\nsec\rond\r\n\r\n")
    assert lines == ["[a] first", "[a] sec\rond", "[a] "]
    assert prefixer.text["a"] == "first\r\nsec\rond\r\n\r\n"  # the raw text is kept


def test_flush_emits_unfinished_lines_once() -> None:
    """At the end, text without a newline is emitted; a second flush emits nothing."""
    prefixer, lines = _prefixer()
    prefixer("a", b"done\nprompt> ")
    prefixer("b", b"complete\n")
    prefixer.flush()
    prefixer.flush()
    assert lines == ["[a] done", "[b] complete", "[a] prompt> "]


def test_text_collects_everything_a_source_printed() -> None:
    """``text`` holds every byte per source, finished lines and partial ones alike."""
    prefixer, _ = _prefixer()
    for chunk in (b"ab", b"c\nd", b"e"):
        prefixer("vm", chunk)
    assert prefixer.text == {"vm": "abc\nde"}


def test_a_utf8_character_split_across_chunks_survives() -> None:
    """An "é" written byte by byte, as a UART sends it, is still an "é"."""
    prefixer, lines = _prefixer()
    for byte in "é\n".encode():
        prefixer("a", bytes([byte]))
    assert lines == ["[a] é"]
    assert prefixer.text == {"a": "é\n"}


# -- summaries ----------------------------------------------------------------------------------


LONG_LINE = 320_000  # bytes without a newline (the slow case: 19.5 s)
# Bytes allocated per byte received, at most: linear work allocates a few pointers' worth per
# byte (the pieces list grows); rebuilding the growing text per byte allocates its whole length
# again each time (about 160,000 bytes per byte on average here, 320,000 at the end).
ALLOCATED_PER_BYTE = 64


def _bytes_allocated_while(feed: Callable[[], None], times: int) -> int:
    """The memory allocated (and maybe freed again) over ``times`` calls of ``feed``.

    Counted with tracemalloc: per call, the peak of traced memory above what was held before
    it. Work, not time: the same on any host, and a copy of a long string always shows.
    """
    tracemalloc.start()
    try:
        allocated = 0
        for _ in range(times):
            held, _ = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            feed()
            allocated += tracemalloc.get_traced_memory()[1] - held
        return allocated
    finally:
        tracemalloc.stop()


def test_a_long_line_costs_linear_work() -> None:
    """320 KB without a newline, byte by byte as a UART sends it: linear work, one line.

    Rebuilding the growing text per byte (``text += ch``) took 1.3 s for 80 KB and 19.5 s for
    320 KB; it would allocate about 51 GB here, against a bound of 20 MB.
    """
    lines = _Lines()
    prefixer = LinePrefixer(lines)
    prefixer("vm", b"x")  # the source's decoder and lists exist before counting starts
    allocated = _bytes_allocated_while(lambda: prefixer("vm", b"x"), LONG_LINE - 1)
    assert allocated <= ALLOCATED_PER_BYTE * LONG_LINE, allocated
    assert lines == []
    prefixer("vm", b"\n")
    assert lines == ["[vm] " + "x" * LONG_LINE]
    assert prefixer.text == {"vm": "x" * LONG_LINE + "\n"}


def test_summarise_two_hello_vms(tmp_path: Path) -> None:
    """Both VMs ran hello (303 instructions, one WFI trap, one switch in, waited, no fault)."""
    path = write_system(tmp_path, vm_toml("a", "hello"), vm_toml("b", "hello", uart="uart1"))
    hv = run(path).hypervisor
    summaries = summarise(hv)
    assert [summary.name for summary in summaries] == ["a", "b"]
    stats = hv.scheduler.stats()
    for summary in summaries:
        assert (summary.instructions, summary.traps, summary.hypercalls) == (303, 1, 0)
        assert (summary.injections, summary.gicd_accesses, summary.switches_in) == (0, 0, 1)
        assert (summary.preemptions, summary.waits, summary.deadline_misses) == (0, 1, 0)
        assert summary.fault is None
        assert summary.cpu_share == stats.vms[summary.name].cycles_run / hv.machine.clock.now()
    assert 0 < summaries[0].cpu_share == summaries[1].cpu_share
    assert sum(summary.cpu_share for summary in summaries) <= 1


def test_a_stopped_vm_is_summarised_with_its_fault(tmp_path: Path) -> None:
    """rogue-ram faults: its summary carries the fault line, and its line says stopped."""
    path = write_system(tmp_path, vm_toml("a", "rogue-ram"), vm_toml("b", "hello", uart="uart1"))
    hv = run(path).hypervisor
    rogue, good = summarise(hv)
    (fault,) = hv.faults
    assert rogue.fault == fault.describe()
    assert rogue.line().endswith(f", stopped ({fault.describe()})")
    assert good.fault is None and good.line().endswith(", ok")


def _summary(**changes: object) -> VmSummary:
    fields: dict[str, object] = {
        "name": "a",
        "instructions": 303,
        "cpu_share": 0.125,
        "traps": 4,
        "hypercalls": 1,
        "injections": 3,
        "gicd_accesses": 2,
        "switches_in": 5,
        "preemptions": 1,
        "waits": 4,
        "deadline_misses": 0,
        "irq_latency_us": None,
        "fault": None,
    }
    fields.update(changes)
    return VmSummary(**fields)  # type: ignore[arg-type]


def test_summary_line_format() -> None:
    """One line: instructions, CPU share to 0.1 %, traps split, injections, switches, state."""
    assert _summary().line() == (
        "a: 303 instructions, 12.5% CPU, 4 traps (1 hvc, 2 gicd), 3 injections, "
        "5 switches in (1 preempted, 4 waited), ok"
    )


def test_summary_line_shows_the_irq_latency_when_there_were_interrupts() -> None:
    """min/mean/max in microseconds, three decimals (1 ns), after the switch counts."""
    line = _summary(irq_latency_us=(0.181, 4.7481, 8.98)).line()
    assert line == (
        "a: 303 instructions, 12.5% CPU, 4 traps (1 hvc, 2 gicd), 3 injections, "
        "5 switches in (1 preempted, 4 waited), IRQ latency 0.181/4.748/8.980 us "
        "(min/mean/max), ok"
    )


def test_summary_line_shows_deadline_misses_and_the_fault() -> None:
    """Deadline misses appear only when there are some; a fault replaces "ok"."""
    line = _summary(cpu_share=1 / 3, deadline_misses=2, fault="boom").line()
    assert line == (
        "a: 303 instructions, 33.3% CPU, 4 traps (1 hvc, 2 gicd), 3 injections, "
        "5 switches in (1 preempted, 4 waited), 2 deadline misses, stopped (boom)"
    )


# -- run_system and the report ------------------------------------------------------------------


def test_run_system_emits_prefixed_lines_and_fills_consoles() -> None:
    """The two-hello fixture: four prefixed lines, each VM's whole text, an idle end."""
    lines = _Lines()
    run = run_system(TWO_HELLO, emit=lines)
    hv, result, consoles = run.hv, run.result, run.consoles
    assert lines == [
        "[a] Hello from rthv guest",
        "[a] hello done",
        "[b] Hello from rthv guest",
        "[b] hello done",
    ]
    assert consoles == {"a": HELLO, "b": HELLO}
    assert (result.cause, result.instructions) == (StopCause.IDLE, 606)
    assert sorted(hv.vms) == ["a", "b"]


def test_a_stop_request_during_the_run_interrupts_it() -> None:
    """Requesting a stop when the first line appears ends the run early, INTERRUPTED."""
    stop = StopRequest()
    lines = _Lines()

    def emit(source: str, line: str) -> None:
        lines(source, line)
        stop.request()

    result = run_system(TWO_HELLO, emit=emit, stop=stop).result
    assert result.cause is StopCause.INTERRUPTED
    assert lines[0] == "[a] Hello from rthv guest"
    assert "[b] hello done" not in lines
    assert result.instructions < 606


def test_the_report_is_plain_json_of_the_run() -> None:
    """Board, end, time, policy, one summary per VM and the consoles, through JSON unchanged."""
    run = run_system(TWO_HELLO, emit=lambda _source, _line: None)
    result = run.result
    report = run_report(run.hv, result, run.consoles)
    assert json.loads(json.dumps(report)) == report
    assert report["board"] == "vexpress-a15"
    assert (report["stopped"], report["cycles"], report["instructions"]) == (
        "idle",
        result.cycles,
        606,
    )
    assert report["virtual_time_ns"] == float(result.cycles)  # 1 GHz: a cycle is a nanosecond
    assert report["policy"] == "round-robin"
    assert report["consoles"] == {"a": HELLO, "b": HELLO}
    vms = report["vms"]
    assert isinstance(vms, list)
    assert [vm["name"] for vm in vms] == ["a", "b"]
    assert [vm["instructions"] for vm in vms] == [303, 303]


def test_a_paced_run_is_the_same_run_in_pieces() -> None:
    """``pace`` runs the system in pieces of virtual time; consoles and counts do not change."""
    pieces: list[Fraction] = []

    def pace(step: StepRun, now_ns: Callable[[], Fraction], until: Fraction | None) -> RunResult:
        assert until is not None
        while True:
            result = step(min(now_ns() + 370_000, until))
            pieces.append(now_ns())
            if result.cause is not StopCause.UNTIL or now_ns() >= until:
                return result

    runs = []
    for chosen in (None, pace):
        run = run_system(
            TWO_RTOS, emit=lambda _s, _l: None, until_ns=Fraction(3_000_000), pace=chosen
        )
        counts = [vm.core.counter.executed for vm in run.hv.vms.values()]
        runs.append((run.consoles, run.result, counts))
    assert runs[0] == runs[1]
    assert len(pieces) == 9 and pieces[-1] == 3_000_000


def test_a_run_stops_at_its_limit_or_after_the_work_under_way_there() -> None:
    """Work under way at the limit is not split (docs/timing.md, "Where a run stops"): a
    ping-pong run to 10 ms ends after the world switch that a WFI trap just before 10 ms led
    to; the two-RTOS system, between instructions then, stops at exactly 10 ms. A second run
    goes on from where the first stopped, as one run would."""
    pingpong = TWO_RTOS.with_name("pingpong-vm.toml")
    limit = Fraction(10_000_000)
    whole = run_system(pingpong, emit=lambda _s, _l: None, until_ns=2 * limit)
    first = run_system(pingpong, emit=lambda _s, _l: None, until_ns=limit)
    last = list(first.hv.trace)[-1]
    assert isinstance(last, Switch) and last.reason == "wfi"
    assert limit < last.cycle < first.result.cycles < limit + first.hv.costs.world_switch
    assert first.hv.run(2 * limit) == whole.result
    assert list(first.hv.trace) == list(whole.hv.trace)
    rtos = run_system(TWO_RTOS, emit=lambda _s, _l: None, until_ns=limit)
    assert rtos.result.cycles == limit
