"""Running a whole system configuration: consoles prefixed by VM name, and a summary per VM."""

from __future__ import annotations

import codecs
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

from rthv.board.run_result import RunResult
from rthv.board.stop_request import StopRequest
from rthv.hv.config import load_config
from rthv.hv.hypervisor import Hypervisor
from rthv.hv.scheduling.errors import PolicyParameterError
from rthv.hv.vm import Vm
from rthv.tools.console_input import feed_inputs
from rthv.tools.duration import format_ns
from rthv.tools.task_metrics import system_task_metrics

LineSink = Callable[[str, str], None]  # (source, line without its end)
StepRun = Callable[[Fraction | None], RunResult]  # run the system to a virtual time (ns)
Pace = Callable[[StepRun, Callable[[], Fraction], Fraction | None], RunResult]


class LinePrefixer:
    """Collects console bytes per source and emits whole lines as ``(source, line)``."""

    def __init__(self, emit: LineSink) -> None:
        self._emit = emit
        # Pieces, joined only when a line ends (or when asked): text arrives byte by byte, and
        # rebuilding a growing string per byte would cost time quadratic in its length.
        self._partial: dict[str, list[str]] = {}
        self._whole: dict[str, list[str]] = {}
        self._decoders: dict[str, codecs.IncrementalDecoder] = {}

    @property
    def text(self) -> dict[str, str]:
        """Everything each source printed so far."""
        return {source: "".join(pieces) for source, pieces in self._whole.items()}

    def __call__(self, source: str, data: bytes) -> None:
        decoder = self._decoders.get(source)
        if decoder is None:  # UARTs deliver byte by byte: a character may span calls
            decoder = self._decoders[source] = codecs.getincrementaldecoder("utf-8")("replace")
        text = decoder.decode(data)
        self._whole.setdefault(source, []).append(text)
        partial = self._partial.setdefault(source, [])
        if "\n" not in text:
            partial.append(text)
            return
        *lines, rest = ("".join(partial) + text).split("\n")
        for line in lines:
            self._emit(source, line.rstrip(chr(13)))
        partial[:] = [rest]

    def flush(self) -> None:
        """Emit unfinished lines."""
        for source, pieces in self._partial.items():
            rest = "".join(pieces)
            if rest:
                self._emit(source, rest.rstrip(chr(13)))
        self._partial.clear()


@dataclass(frozen=True)
class VmSummary:
    """The figures ``rthv run`` prints for one VM."""

    name: str
    instructions: int
    cpu_share: float
    traps: int
    hypercalls: int
    injections: int
    gicd_accesses: int
    switches_in: int
    preemptions: int
    waits: int
    deadline_misses: int
    irq_latency_us: tuple[float, float, float] | None  # min, mean, max; None: no interrupt
    fault: str | None
    ignored: dict[str, int] = field(default_factory=dict)  # ignored accesses per register
    restarts: int = 0  # faults answered by a restart (fault = "restart")
    injected_aborts: int = 0  # faults delivered into the guest (fault = "inject")

    def line(self) -> str:
        """One summary line."""
        state = f"stopped ({self.fault})" if self.fault else "ok"
        misses = f", {self.deadline_misses} deadline misses" if self.deadline_misses else ""
        latency = ""
        if self.irq_latency_us is not None:
            low, mean, high = self.irq_latency_us
            latency = f", IRQ latency {low:.3f}/{mean:.3f}/{high:.3f} us (min/mean/max)"
        ignored = ""
        if self.ignored:
            each = ", ".join(f"{register}: {n}" for register, n in sorted(self.ignored.items()))
            ignored = f", {sum(self.ignored.values())} ignored accesses ({each})"
        if self.restarts:
            ignored += f", {self.restarts} restarts"
        if self.injected_aborts:
            ignored += f", {self.injected_aborts} aborts injected"
        return (
            f"{self.name}: {self.instructions} instructions, {self.cpu_share:.1%} CPU, "
            f"{self.traps} traps ({self.hypercalls} hvc, {self.gicd_accesses} gicd), "
            f"{self.injections} injections, {self.switches_in} switches in "
            f"({self.preemptions} preempted, {self.waits} waited){misses}{latency}{ignored}, "
            f"{state}"
        )


def summarise(hv: Hypervisor) -> list[VmSummary]:
    """Per-VM figures from the hypervisor's counters and the scheduler's accounting."""
    stats = hv.scheduler.stats()
    now = max(1, hv.machine.clock.now())
    result = []
    for vm in hv.vms.values():
        counters = vm.counters
        result.append(
            VmSummary(
                name=vm.name,
                instructions=vm.core.counter.executed,
                cpu_share=stats.vms[vm.name].cycles_run / now,
                traps=counters.traps,
                hypercalls=counters.hypercalls,
                injections=counters.injections,
                gicd_accesses=counters.gicd_accesses,
                switches_in=counters.world_switches,
                preemptions=stats.vms[vm.name].preemptions,
                waits=stats.vms[vm.name].waits,
                deadline_misses=stats.vms[vm.name].deadline_misses,
                irq_latency_us=_latency_us(hv, vm),
                fault=vm.fault.describe() if vm.fault else None,
                ignored=dict(counters.ignored_by_register),
                restarts=counters.restarts,
                injected_aborts=counters.injected_aborts,
            )
        )
    return result


def _latency_us(hv: Hypervisor, vm: Vm) -> tuple[float, float, float] | None:
    stats = vm.latency
    if stats.minimum is None:
        return None
    to_us = hv.machine.clock.to_ns
    return (
        float(to_us(stats.minimum)) / 1000,
        float(to_us(1)) * stats.mean / 1000,
        float(to_us(stats.maximum)) / 1000,
    )


def run_report(hv: Hypervisor, result: RunResult, consoles: dict[str, str]) -> dict[str, object]:
    """Everything a CI job may want to check after a run, as plain JSON-ready data."""
    return _report(hv, result.cause.value, result.cycles, result.instructions, consoles)


def failed_run_report(
    hv: Hypervisor | None, error: BaseException, consoles: dict[str, str]
) -> dict[str, object]:
    """What is known of a run that ended in an error (``hv`` None: it never booted)."""
    if hv is None:
        return {"stopped": "error", "error": str(error), "consoles": consoles}
    machine = hv.machine
    report = _report(hv, "error", machine.clock.now(), machine.instructions, consoles)
    return {"error": str(error), **report}


def policy_failure_lines(hv: Hypervisor) -> list[str]:
    """One line per scheduling-policy failure of the run, saying who took over; and one if the
    policy left the CPU idle while VMs were runnable."""
    lines = []
    if hv.idle_while_runnable:
        lines.append(
            f"the scheduling policy left the CPU idle while VMs were runnable "
            f"({hv.idle_while_runnable} times)"
        )
    for failure in hv.scheduler.stats().failures:
        when = format_ns(hv.machine.clock.to_ns(failure.at))
        after = f"; the fallback {failure.replaced_by} took over" if failure.replaced_by else ""
        lines.append(f"{failure.message} (at {when}){after}")
    return lines


def _report(
    hv: Hypervisor, stopped: str, cycles: int, instructions: int, consoles: dict[str, str]
) -> dict[str, object]:
    stats = hv.scheduler.stats()
    to_ns = hv.machine.clock.to_ns
    return {
        "board": hv.board.name,
        "stopped": stopped,
        "virtual_time_ns": float(hv.machine.clock.to_ns(cycles)),
        "cycles": cycles,
        "instructions": instructions,
        "policy": hv.scheduler.policy.name,
        "policy_failures": [asdict(failure) for failure in stats.failures],
        "idle_while_runnable": hv.idle_while_runnable,
        "world_switches": stats.switches,
        "trace_events": dict(sorted(hv.trace.counts.items())),
        "vms": [
            asdict(summary) | {"irq_latency_histogram_us": _latency_histogram_us(hv, summary.name)}
            for summary in summarise(hv)
        ],
        "deadline_misses": [
            {
                "vm": miss.vm,
                "deadline_ns": float(to_ns(miss.deadline)),
                "time_ns": float(to_ns(miss.detected_at)),
                "detail": miss.detail,
            }
            for miss in stats.misses
        ],
        "tasks": {
            vm: [asdict(metrics) for metrics in tasks]
            for vm, tasks in system_task_metrics(hv).items()
        },
        "consoles": consoles,
    }


def _latency_histogram_us(hv: Hypervisor, vm: str) -> list[list[float]]:
    """Each interrupt latency seen by ``vm`` (us) with how often: ``[[us, count], ...]``."""
    histogram = hv.vms[vm].latency.histogram
    to_ns = hv.machine.clock.to_ns
    return [[float(to_ns(cycles)) / 1000, histogram[cycles]] for cycles in sorted(histogram)]


def boot_system(
    path: Path,
    *,
    console: Callable[[str, bytes], None] | None = None,
    native_counter: bool | None = None,
    full_trace: bool = False,
    overrides: Mapping[str, object] | None = None,
) -> Hypervisor:
    """Load, validate and boot the system described by ``path``.

    ``overrides`` replace top-level settings (``timing``, ``cpi``, ``costs``...) after loading:
    the sweeps and the command line use it; each value is validated as in the file.
    """
    config = load_config(path, overrides)
    try:
        hv = Hypervisor(
            config, console=console, native_counter=native_counter, full_trace=full_trace
        )
        hv.boot()
    except PolicyParameterError as error:  # a VM's scheduling parameters: name the file too
        raise PolicyParameterError(
            f"{path}: {error}", parameter=error.parameter, problem=error.problem
        ) from None
    return hv


@dataclass(frozen=True)
class SystemRun:
    """A system's run: the hypervisor (what it knows), how the run ended, each VM's console."""

    hv: Hypervisor
    result: RunResult
    consoles: dict[str, str]


def run_system(
    path: Path,
    *,
    emit: LineSink,
    until_ns: Fraction | None = None,
    max_slice: int | None = None,
    stop: StopRequest | None = None,
    full_trace: bool = False,
    overrides: Mapping[str, object] | None = None,
    pace: Pace | None = None,
    booted: Callable[[Hypervisor], None] | None = None,
    inputs: list[tuple[str, bytes]] | None = None,
) -> SystemRun:
    """Boot and run a system, emitting console lines as they come.

    ``full_trace`` keeps every trace event (for an export); ``pace``, if given, runs the system
    in pieces of virtual time (for a progress display, a debugger); ``booted`` sees the system
    before it runs; ``inputs`` are (VM, bytes) fed to VM consoles. A run that fails raises
    ``RunFailed`` with what is known.
    """
    prefixer = LinePrefixer(emit)
    hv = boot_system(path, console=prefixer, full_trace=full_trace, overrides=overrides)
    feed_inputs(hv, inputs or [])
    if stop is not None:
        stop.attach(hv.machine)
    if booted is not None:
        booted(hv)

    def step(target: Fraction | None) -> RunResult:
        return hv.run(target, max_slice=max_slice)

    def now_ns() -> Fraction:
        return hv.machine.clock.to_ns(hv.machine.clock.now())

    try:
        result = step(until_ns) if pace is None else pace(step, now_ns, until_ns)
    except Exception as error:
        raise RunFailed(hv, error, prefixer.text) from error
    finally:
        prefixer.flush()
    return SystemRun(hv, result, prefixer.text)


class RunFailed(Exception):
    """A booted system's run ended in ``error``; ``hv`` and ``consoles`` hold what is known."""

    def __init__(self, hv: Hypervisor, error: Exception, consoles: dict[str, str]) -> None:
        super().__init__(str(error))
        self.hv = hv
        self.error = error
        self.consoles = consoles
