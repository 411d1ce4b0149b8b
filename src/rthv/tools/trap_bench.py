"""Host time where hypervisors spend it: per trap kind, and on whole guest-OS workloads.

Part of ``rthv bench --speed``. Times are host CPU seconds of this process
(``time.process_time``): on a shared machine they vary far less than wall time, and they are
never part of a simulated result.

- The trap micro-benchmark runs ``guests/trapbench`` alone in a VM. The guest announces each
  phase on its console; the console sink notes the host time at each announcement, so a
  phase's host time divided by its rounds is the host time per trap (guest work between two
  traps is a handful of instructions). The physical IRQ arrives while the guest spins: the
  same spin without interrupts (phase ``spin``) is subtracted.
- The world switch: two VMs share the CPU by round robin with a 1 us quantum, against one VM
  alone with the same quantum, whose quantum expiries are the same run-loop work without the
  switch. Both run the compute guest; the one-VM time, scaled to the same guest instructions,
  is subtracted, and the rest divided by the switches.
- Each workload is booted, then only its run is timed.
"""

from __future__ import annotations

import gc
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TypeVar

from rthv.tools.bare import boot_bare
from rthv.tools.duration import parse_duration
from rthv.tools.system import LinePrefixer, boot_system

TRAP_ROUNDS = 2000  # ROUNDS in guests/trapbench/trapbench.c
TRAP_PHASES = ("hvc", "gicd", "wfi", "irq", "spin")  # as guests/trapbench announces them
TRAP_KINDS = {
    "hvc": "HVC: hypercall and return",
    "gicd": "emulated GICD read (Stage-2 fault, vGIC, return)",
    "irq": "physical IRQ to PL2, injected into the running vCPU, IRQ taken (no switch)",
    "expiry": "scheduler timer: quantum expiry, the same VM goes on (1 us of guest work included)",
    "switch": "world switch: one vCPU out, another in (on a quantum expiry, expiry excluded)",
    "wfi": "WFI, vCPU off the CPU, physical IRQ to PL2, injection, vCPU back, IRQ taken",
}
SWITCH_QUANTUM_US = 1
SWITCH_RUN = "10ms"  # of virtual time: 10,000 quanta
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
# The world-switch benchmark: VMs with no console (the guest's UART is a page of RAM); the
# switch's charged cycles are zero so that every quantum is spent on guest instructions.
SWITCH_SYSTEM = """\
board = "vexpress-a15"

[scheduler]
policy = "round-robin"
params = {{ quantum_us = {quantum} }}

[costs]
world_switch = 0
"""
SWITCH_VM = """
[[vm]]
name = "spin{index}"
[[vm.image]]
path = "{image}"
[[vm.memory]]
ipa = 0x80000000
size = "4M"
[[vm.memory]]
ipa = 0x1c090000
size = "4K"
"""


@dataclass(frozen=True)
class Workload:
    """A system (configuration and virtual time) or a bare-metal image to time."""

    name: str
    path: Path
    until: str | None = None  # None: a bare-metal image, run until it is idle


T = TypeVar("T")


def cpu_seconds(run: Callable[[], T]) -> tuple[T, float]:
    """``run()`` and the host CPU seconds it took. The garbage of earlier runs (their engines
    and machines) is collected first, so that no run is charged for freeing another's."""
    gc.collect()
    started = time.process_time()
    value = run()
    return value, time.process_time() - started


WORKLOADS = (
    Workload("rtos-selftest (bare metal)", Path("guests/build/vexpress-a15/rtos-selftest.elf")),
    Workload("two-rtos", Path("examples/two-rtos.toml"), "600ms"),
    Workload("pingpong-vm", Path("examples/pingpong-vm.toml"), "100ms"),
    Workload("rt-hog-fp", Path("examples/rt-hog-fp.toml"), "1200ms"),
    Workload("linux-rtos (Linux boots to its shell)", Path("examples/linux-rtos.toml"), "10s"),
)
LINUX_KERNEL = Path("guests/build/linux/armmp/zImage")  # downloaded by make; else not timed


def time_trap_phases(image: Path) -> dict[str, float]:
    """One run of the trap micro-benchmark: host microseconds per round, by phase (``irq``
    still includes its spin)."""
    marks: dict[str, float] = {}

    def note(_source: str, line: str) -> None:
        words = line.split()
        if len(words) == 3 and words[0] == "trapbench" and words[2] in ("start", "end"):
            marks[f"{words[1]} {words[2]}"] = time.process_time()

    with tempfile.TemporaryDirectory() as scratch:
        config = Path(scratch) / "trapbench.toml"
        config.write_text(TRAPBENCH_VM.format(image=image.resolve()))
        hv = boot_system(config, console=LinePrefixer(note))
        gc.collect()  # (as cpu_seconds: no phase pays for freeing an earlier run)
        hv.run(None)
    missing = [p for p in TRAP_PHASES for e in ("start", "end") if f"{p} {e}" not in marks]
    if missing:
        raise RuntimeError(f"{image}: the trap benchmark did not report {missing}")
    return {
        phase: (marks[f"{phase} end"] - marks[f"{phase} start"]) / TRAP_ROUNDS * 1e6
        for phase in TRAP_PHASES
    }


def time_quanta(image: Path, vms: int, run: str = SWITCH_RUN) -> tuple[int, int, float]:
    """``vms`` copies of ``image`` by round robin for ``run`` of virtual time: guest
    instructions, world switches and host CPU seconds of the run."""
    text = SWITCH_SYSTEM.format(quantum=SWITCH_QUANTUM_US)
    text += "".join(SWITCH_VM.format(index=i, image=image.resolve()) for i in range(vms))
    with tempfile.TemporaryDirectory() as scratch:
        config = Path(scratch) / "switch.toml"
        config.write_text(text)
        hv = boot_system(config, console=lambda _vm, _data: None)
        until = parse_duration(run)
        instructions, seconds = cpu_seconds(lambda: hv.run(until).instructions)
    switches = sum(vm.counters.world_switches for vm in hv.vms.values()) - vms  # first entries
    return instructions, switches, seconds


def time_world_switch(image: Path) -> tuple[float, float]:
    """Host microseconds per quantum expiry of one VM alone (the run loop and the scheduler,
    with the 1 us of guest work of a quantum), and per world switch: two VMs' time less the
    one VM's time scaled to the same guest instructions, over the switches."""
    alone_instructions, _, alone_seconds = time_quanta(image, 1)
    instructions, switches, seconds = time_quanta(image, 2)
    if switches <= 0:
        raise RuntimeError(f"{image}: two VMs by round robin never switched")
    not_switching = alone_seconds * instructions / alone_instructions
    return not_switching / switches * 1e6, (seconds - not_switching) / switches * 1e6


def trap_kinds(phases: dict[str, float], quantum: tuple[float, float]) -> dict[str, float]:
    """Host microseconds per trap, by kind, from one run's phases and ``time_world_switch``."""
    expiry_us, switch_us = quantum
    return {
        "hvc": phases["hvc"],
        "gicd": phases["gicd"],
        "irq": phases["irq"] - phases["spin"],
        "expiry": expiry_us,
        "switch": switch_us,
        "wfi": phases["wfi"],
    }


def run_trap_bench(image: Path, spin_image: Path, repetitions: int) -> dict[str, float]:
    """Median host microseconds per trap, by kind, over ``repetitions`` runs; the world switch
    runs ``spin_image`` (a compute-bound guest)."""
    runs = [
        trap_kinds(time_trap_phases(image), time_world_switch(spin_image))
        for _ in range(repetitions)
    ]
    return {kind: round(statistics.median(r[kind] for r in runs), 1) for kind in TRAP_KINDS}


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

    return cpu_seconds(run)


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
    rows += [f"| {TRAP_KINDS[kind]} | {us} us |" for kind, us in trap_us.items()]
    return "\n".join(rows)


def workloads_markdown(workloads: dict[str, dict[str, float]]) -> str:
    """The workloads as a Markdown table."""
    rows = ["| workload | instructions | host time (median) | MIPS |", "|---|---:|---:|---:|"]
    rows += [
        f"| {name} | {int(w['instructions']):,} | {w['host_seconds']} s | {w['mips']} |"
        for name, w in workloads.items()
    ]
    return "\n".join(rows)
