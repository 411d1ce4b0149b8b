"""The public Python API: load a system, run it in virtual time, talk to its consoles.

    import rthv

    system = rthv.load("examples/two-rtos.toml")
    system.vm("rtos-a").console.expect(r"selftest: (\\d+) passed", within="600ms")
    system.run(until="600ms")
    assert system.report["vms"][0]["fault"] is None

Times are virtual: a string with a unit (``"10ms"``, ``"2.5us"``, ``"1s"``) or a number of
nanoseconds. Nothing here depends on host time, so every call gives the same result every run.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from rthv.board.run_result import RunResult, StopCause
from rthv.hv.hypervisor import HYPERVISOR_CONSOLE, Hypervisor
from rthv.hv.trace_log import TraceEvent as HvTraceEvent
from rthv.tools.duration import format_ns, parse_duration
from rthv.tools.system import VmSummary, boot_system, run_report, summarise
from rthv.tools.task_metrics import TaskMetrics, system_task_metrics

Duration = str | int | Fraction
"""A span or point of virtual time: ``"10ms"``-style text, or nanoseconds."""

TAIL_LINES = 20
DEFAULT_WITHIN = "1s"


class ExpectTimeout(AssertionError):
    """``Console.expect`` did not see its pattern in time; the message holds the console's tail."""


class UnknownVm(KeyError):
    """``System.vm`` was asked for a VM the system does not have."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class TraceEvent:
    """One event of the hypervisor's trace: a world switch, an IRQ, a hypercall, a fault, ...

    ``event`` is the typed event with its named fields (``rthv.hv.trace_log``: a ``Switch`` has
    ``old``, ``new`` and ``reason``, an ``IrqTaken`` its ``irq``, ...); ``kind``, ``vm`` and
    ``detail`` (one line of text written from those fields) are read from it. ``vm`` is ``"-"``
    when the event belongs to no VM (a world switch).
    """

    cycle: int
    time_ns: Fraction
    kind: str
    vm: str
    detail: str
    event: HvTraceEvent


def to_ns(value: Duration) -> Fraction:
    """Nanoseconds of a ``Duration``."""
    if isinstance(value, str):
        return parse_duration(value)
    if value < 0:
        raise ValueError(f"bad duration {value}: negative")
    return Fraction(value)


class Console:
    """One VM's console: everything it printed, input to it, and waiting for text."""

    def __init__(self, system: System, vm: str, uart: str | None) -> None:
        self._system = system
        self._vm = vm
        self._uart = uart
        self.cursor = 0
        """Where the next ``expect`` starts searching: the end of the last match."""

    @property
    def text(self) -> str:
        """Everything the VM printed so far."""
        return self._system.console_text(self._vm)

    def send(self, data: str | bytes) -> None:
        """Type ``data`` into the VM's UART; the guest reads it as the system runs on."""
        if self._uart is None:
            raise ValueError(f'vm "{self._vm}" has no UART to send to')
        payload = data.encode() if isinstance(data, str) else data
        self._system.hypervisor.machine.uart(self._uart).inject(payload)

    def expect(
        self, pattern: str | re.Pattern[str], within: Duration = DEFAULT_WITHIN
    ) -> re.Match[str]:
        """Run the system until ``pattern`` appears in the console after the last match.

        Returns the match; the run stops right after the output that completed it (at most one
        block of guest code later). Raises ``ExpectTimeout`` with the console's last lines when
        ``within`` of virtual time passes, or the system can go on no more, without a match.
        """
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        system = self._system
        deadline = system.now_ns + to_ns(within)
        result: RunResult | None = None
        while True:
            found = regex.search(self.text, self.cursor)
            if found is not None:
                self.cursor = found.end()
                return found
            if result is not None and result.cause is not StopCause.INTERRUPTED:
                raise ExpectTimeout(self._timeout_message(regex, within, result))
            result = system.run_watching(
                deadline,
                lambda source: source == self._vm and regex.search(self.text, self.cursor),
            )

    def _timeout_message(self, regex: re.Pattern[str], within: Duration, result: RunResult) -> str:
        system = self._system
        why = {
            StopCause.UNTIL: f"within {format_ns(to_ns(within))}",
            StopCause.IDLE: "before the system went idle (nothing more can happen)",
        }.get(result.cause, f"before the run stopped ({result.cause.value})")
        fault = system.hypervisor.vms[self._vm].fault
        lines = self.text[self.cursor :].splitlines()[-TAIL_LINES:]
        tail = "\n".join(f"  | {line}" for line in lines) or "  (nothing printed since)"
        return (
            f'vm "{self._vm}": /{regex.pattern}/ not printed {why}, at '
            f"{format_ns(system.now_ns)} of virtual time"
            + (f"; {fault.describe()}" if fault else "")
            + f"\nits console since the last match (last {TAIL_LINES} lines):\n{tail}"
        )


class VirtualMachine:
    """One VM of a loaded system: its console, figures and fault."""

    def __init__(self, system: System, name: str, uart: str | None) -> None:
        self._system = system
        self.name = name
        self.console = Console(system, name, uart)

    @property
    def summary(self) -> VmSummary:
        """The figures ``rthv run`` prints for this VM, as of now."""
        return next(s for s in summarise(self._system.hypervisor) if s.name == self.name)

    @property
    def tasks(self) -> list[TaskMetrics]:
        """Per-task metrics the guest reported (docs/task-metrics.md); empty if it reports none."""
        return system_task_metrics(self._system.hypervisor).get(self.name, [])

    @property
    def fault(self) -> str | None:
        """Why the hypervisor stopped this VM, or None while it runs."""
        fault = self._system.hypervisor.vms[self.name].fault
        return None if fault is None else fault.describe()


class System:
    """A booted system configuration, advanced in virtual time by ``run`` and ``expect``."""

    def __init__(
        self, path: Path, *, native_counter: bool | None = None, full_trace: bool = True
    ) -> None:
        self.path = path
        self._text: dict[str, str] = {}
        self._decoders: dict[str, codecs.IncrementalDecoder] = {}
        self._watch: Callable[[str], object] | None = None
        self._last: RunResult | None = None
        self.hypervisor: Hypervisor = boot_system(
            path, console=self._output, native_counter=native_counter, full_trace=full_trace
        )
        """The hypervisor underneath (internal: its shape may change between releases)."""
        self._vms = {
            name: VirtualMachine(self, name, vm.config.console or _first_uart(self, name))
            for name, vm in self.hypervisor.vms.items()
        }

    # -- running ------------------------------------------------------------------------------

    def run(self, until: Duration | None = None, *, duration: Duration | None = None) -> RunResult:
        """Run to virtual time ``until`` (or for ``duration`` more); with neither, until idle.

        A run to time T ends at exactly T. It ends sooner when nothing more can happen
        (``cause`` is ``StopCause.IDLE``).
        """
        if until is not None and duration is not None:
            raise ValueError("give until or duration, not both")
        target = self.now_ns + to_ns(duration) if duration is not None else until
        return self.run_watching(None if target is None else to_ns(target), None)

    def run_watching(
        self, until_ns: Fraction | None, watch: Callable[[str], object] | None
    ) -> RunResult:
        """Run to ``until_ns``, stopping early once ``watch(source)`` is true after output."""
        self._watch = watch
        try:
            self._last = self.hypervisor.run(until_ns)
        finally:
            self._watch = None
        return self._last

    @property
    def now_ns(self) -> Fraction:
        """Virtual time now, in nanoseconds."""
        machine = self.hypervisor.machine
        return machine.clock.to_ns(machine.clock.now())

    # -- looking at it ------------------------------------------------------------------------

    def vm(self, name: str) -> VirtualMachine:
        """The VM called ``name``."""
        found = self._vms.get(name)
        if found is None:
            raise UnknownVm(f"no VM {name!r}: the system has {', '.join(self._vms)}")
        return found

    @property
    def vms(self) -> list[VirtualMachine]:
        """Every VM, in configuration order."""
        return list(self._vms.values())

    def console_text(self, source: str) -> str:
        """What ``source`` printed: a VM's name, or ``"rthv"`` for the hypervisor's own lines."""
        return self._text.get(source, "")

    @property
    def hypervisor_console(self) -> str:
        """The hypervisor's own lines (faults, ignored accesses)."""
        return self.console_text(HYPERVISOR_CONSOLE)

    @property
    def report(self) -> dict[str, object]:
        """The same data as ``rthv run --json``, as of now."""
        machine = self.hypervisor.machine
        last = self._last or RunResult(StopCause.UNTIL, machine.clock.now(), 0, 0)
        now = RunResult(last.cause, machine.clock.now(), machine.instructions, machine.idle_cycles)
        return run_report(self.hypervisor, now, dict(self._text))

    @property
    def trace(self) -> list[TraceEvent]:
        """The hypervisor's trace so far, oldest first (only the latest events with
        ``full_trace=False``)."""
        to_ns_ = self.hypervisor.machine.clock.to_ns
        return [_public(event, to_ns_(event.cycle)) for event in self.hypervisor.trace]

    # -- internals ----------------------------------------------------------------------------

    def _output(self, source: str, data: bytes) -> None:
        decoder = self._decoders.get(source)
        if decoder is None:  # UARTs deliver byte by byte: a character may span calls
            decoder = self._decoders[source] = codecs.getincrementaldecoder("utf-8")("replace")
        self._text[source] = self._text.get(source, "") + decoder.decode(data)
        if self._watch is not None and self._watch(source):
            self.hypervisor.machine.request_stop()


def _public(event: HvTraceEvent, time_ns: Fraction) -> TraceEvent:
    return TraceEvent(event.cycle, time_ns, event.kind, event.vm, event.detail, event)


def _first_uart(system: System, vm: str) -> str | None:
    hv = system.hypervisor
    uarts = {d.name for d in hv.board.devices if d.kind == "pl011"}
    config = hv.vms[vm].config
    return next((d.name for d in config.devices if d.name in uarts), None)


def load(
    path: str | Path, *, native_counter: bool | None = None, full_trace: bool = True
) -> System:
    """Load, check and boot the system configuration at ``path`` (TOML); time stands at 0.

    ``full_trace=False`` keeps only the latest trace events (memory bounded on long runs).
    """
    return System(Path(path), native_counter=native_counter, full_trace=full_trace)
