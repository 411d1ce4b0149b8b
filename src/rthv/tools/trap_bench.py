"""Host time where hypervisors spend it: per trap kind, and on whole guest-OS workloads.

Part of ``rthv bench --speed``. Times are host CPU seconds of this process
(``time.process_time``): on a shared machine they vary far less than wall time, and they are
never part of a simulated result.

- The trap micro-benchmark runs ``guests/trapbench`` alone in a VM. The guest announces each
  phase on its console; the console sink notes the host time at each announcement, so a
  phase's host time divided by its rounds is the host time per trap (guest work between two
  traps is a handful of instructions).
- Each workload is booted, then only its run is timed.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from rthv.tools.bare import boot_bare
from rthv.tools.duration import parse_duration
from rthv.tools.system import LinePrefixer, boot_system

TRAP_ROUNDS = 2000  # ROUNDS in guests/trapbench/trapbench.c
TRAP_PHASES = {
    "hvc": "HVC: hypercall and return",
    "gicd": "emulated GICD read (Stage-2 fault, vGIC, return)",
    "wfi": "WFI, vCPU off the CPU, physical IRQ to PL2, injection, vCPU back, IRQ taken",
}
TRAPBENCH_VM = """\
board = "vexpress-a15"

[[vm]]
name = "trapbench"
console = "uart0"
[[vm.image]]
path = "{image}"
[[vm.memory]]
ipa = 0x80000000
size = "4M"
[[vm.device]]
name = "uart0"
[[vm.device]]
name = "timer01"
"""


@dataclass(frozen=True)
class Workload:
    """A system (configuration and virtual time) or a bare-metal image to time."""

    name: str
    path: Path
    until: str | None = None  # None: a bare-metal image, run until it is idle


WORKLOADS = (
    Workload("rtos-selftest (bare metal)", Path("guests/build/vexpress-a15/rtos-selftest.elf")),
    Workload("two-rtos", Path("examples/two-rtos.toml"), "600ms"),
    Workload("pingpong-vm", Path("examples/pingpong-vm.toml"), "100ms"),
    Workload("rt-hog-fp", Path("examples/rt-hog-fp.toml"), "1200ms"),
    Workload("linux-rtos (Linux boots to its shell)", Path("examples/linux-rtos.toml"), "10s"),
)
LINUX_KERNEL = Path("guests/build/linux/armmp/zImage")  # downloaded by make; else not timed


def time_trap_phases(image: Path) -> dict[str, float]:
    """One run of the trap micro-benchmark: host microseconds per round, by phase."""
    marks: dict[str, float] = {}

    def note(_source: str, line: str) -> None:
        words = line.split()
        if len(words) == 3 and words[0] == "trapbench" and words[2] in ("start", "end"):
            marks[f"{words[1]} {words[2]}"] = time.process_time()

    with tempfile.TemporaryDirectory() as scratch:
        config = Path(scratch) / "trapbench.toml"
        config.write_text(TRAPBENCH_VM.format(image=image.resolve()))
        hv = boot_system(config, console=LinePrefixer(note))
        hv.run(None)
    missing = [p for p in TRAP_PHASES for e in ("start", "end") if f"{p} {e}" not in marks]
    if missing:
        raise RuntimeError(f"{image}: the trap benchmark did not report {missing}")
    return {
        phase: (marks[f"{phase} end"] - marks[f"{phase} start"]) / TRAP_ROUNDS * 1e6
        for phase in TRAP_PHASES
    }


def run_trap_bench(image: Path, repetitions: int) -> dict[str, float]:
    """Median host microseconds per trap, by kind, over ``repetitions`` runs."""
    runs = [time_trap_phases(image) for _ in range(repetitions)]
    return {phase: round(statistics.median(r[phase] for r in runs), 1) for phase in TRAP_PHASES}


def time_workload(workload: Workload) -> tuple[int, float]:
    """Instructions and host CPU seconds of one run of ``workload`` (boot not included)."""
    run: Callable[[], int]
    if workload.until is None:
        machine = boot_bare(workload.path)

        def run() -> int:
            return machine.run().instructions
    else:
        hv = boot_system(workload.path, console=lambda _vm, _data: None)
        until: Fraction = parse_duration(workload.until)

        def run() -> int:
            return hv.run(until).instructions

    started = time.process_time()
    instructions = run()
    return instructions, time.process_time() - started


def run_workloads(repetitions: int) -> dict[str, dict[str, float]]:
    """Median host seconds and MIPS of every workload."""
    figures: dict[str, dict[str, float]] = {}
    for workload in WORKLOADS:
        if "linux" in workload.path.name and not LINUX_KERNEL.is_file():
            continue
        runs = [time_workload(workload) for _ in range(repetitions)]
        instructions = runs[0][0]
        seconds = statistics.median(s for _, s in runs)
        figures[workload.name] = {
            "instructions": instructions,
            "host_seconds": round(seconds, 3),
            "mips": round(instructions / seconds / 1e6, 1),
        }
    return figures


def traps_markdown(trap_us: dict[str, float]) -> str:
    """The trap micro-benchmark as a Markdown table."""
    rows = ["| trap (guests/trapbench) | host time per trap (median) |", "|---|---:|"]
    rows += [f"| {TRAP_PHASES[kind]} | {us} us |" for kind, us in trap_us.items()]
    return "\n".join(rows)


def workloads_markdown(workloads: dict[str, dict[str, float]]) -> str:
    """The workloads as a Markdown table."""
    rows = ["| workload | instructions | host time (median) | MIPS |", "|---|---:|---:|---:|"]
    rows += [
        f"| {name} | {int(w['instructions']):,} | {w['host_seconds']} s | {w['mips']} |"
        for name, w in workloads.items()
    ]
    return "\n".join(rows)
