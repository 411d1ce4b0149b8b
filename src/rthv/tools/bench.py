"""``rthv bench``: simulator speed against QEMU. Host time is measured here and only here.

Times are CPU seconds (of this process, or of QEMU's from /proc) unless a figure says wall:
on a machine shared with other work, CPU time varies far less than wall time.

Benchmarks report how fast the *simulator* runs; no wall-clock figure ever enters a simulated
result. The guest is the same compute-bound image on both: our board counts its instructions
exactly, and QEMU executes the same deterministic instruction stream.
"""

from __future__ import annotations

import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import unicorn
from unicorn import arm_const

from rthv import compiled_modules
from rthv.board.counter import native_available
from rthv.board.cpu import NEVER_REACHED
from rthv.board.description import load_board
from rthv.board.engine_build import STOCK, engine_build
from rthv.board.loader import read_image
from rthv.tools.bare import boot_bare
from rthv.tools.linux_bench import LinuxBootResult
from rthv.tools.paper import PaperResult
from rthv.tools.process_output import QEMU_DETERMINISTIC, qemu_command, read_until
from rthv.tools.trap_bench import (
    cpu_seconds,
    run_trap_bench,
    run_workloads,
    traps_markdown,
    workloads_markdown,
)

START_MARKER = b"compute start"
END_MARKER = b"compute done"
QEMU_TIMEOUT_S = 120.0
TRAPBENCH_IMAGE = Path("guests/build/vexpress-a15/trapbench.elf")


@dataclass(frozen=True)
class SpeedResult:
    """Median figures of the speed benchmark."""

    image: str
    instructions: int
    repetitions: int
    rthv_seconds: float
    qemu_seconds: float
    unicorn_seconds: float
    rthv_mips: float
    qemu_mips: float
    unicorn_mips: float
    ratio: float
    ratio_to_unicorn: float
    native_counter: bool
    host: str
    # Whole processes, same run: `rthv run-bare` against the deterministic QEMU (medians of the
    # pairs: CPU seconds, wall seconds, and their ratios as QEMU time / rthv time).
    whole_process: dict[str, float] = field(default_factory=dict)
    trap_us: dict[str, float] = field(default_factory=dict)  # host us per trap, by kind
    workloads: dict[str, dict[str, float]] = field(default_factory=dict)
    engine: str = STOCK  # the Unicorn build: rthv's own (its change's name) or "stock"
    modules: str = "interpreted"  # the trap path's modules: "compiled" or why not (``STATUS``)


def time_rthv(image: Path) -> tuple[int, float]:
    """Instructions and wall seconds of one run of ``image`` on our board."""
    machine = boot_bare(image)
    return cpu_seconds(lambda: machine.run().instructions)


def time_unicorn_ceiling(image: Path) -> tuple[float, bytes]:
    """Wall seconds of bare Unicorn running ``image``, and what it printed on UART0.

    No hooks, no time, no devices beyond stubs (UART0 only collects its output): the ceiling any
    simulator built on Unicorn can reach; rthv's exact time costs the difference.
    """
    board = load_board("vexpress-a15")
    uc = unicorn.Uc(unicorn.UC_ARCH_ARM, unicorn.UC_MODE_ARM)
    uc.ctl_set_cpu_model(arm_const.UC_CPU_ARM_CORTEX_A15)
    for block in board.ram:
        uc.mem_map(block.base, block.size)
    console = board.device(board.console)
    printed = bytearray()
    uc.mmio_map(
        console.base, console.size, lambda *_: 0, None, _collect_data_register(printed), None
    )
    stubs = [(board.gic.distributor, 0x1000), (board.gic.cpu_interface, 0x1000)]
    stubs += [(d.base, d.size) for d in board.devices if d.name != board.console]
    for base, size in stubs:
        uc.mmio_map(base, size, lambda *_: 0, None, lambda *_: None, None)
    parsed = read_image(image)
    for segment in parsed.segments:
        uc.mem_write(segment.address, segment.data)
    uc.reg_write(arm_const.UC_ARM_REG_CPSR, 0x1D3)
    _, seconds = cpu_seconds(lambda: uc.emu_start(parsed.entry, NEVER_REACHED))  # to its WFI
    return seconds, bytes(printed)


def _collect_data_register(sink: bytearray) -> Callable[..., None]:
    """A PL011 write callback keeping the bytes written to its data register (offset 0)."""

    def write(_uc: object, offset: int, _size: int, value: int, _data: object) -> None:
        if offset == 0:
            sink.append(value & 0xFF)

    return write


def time_unicorn_to_end(image: Path) -> float:
    """``time_unicorn_ceiling``, refusing a run that did not reach the compute guest's end."""
    seconds, printed = time_unicorn_ceiling(image)
    if END_MARKER not in printed:
        raise RuntimeError(f"bare Unicorn did not run {image} to {END_MARKER.decode()!r}")
    return seconds


def _cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system, all threads) process ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def time_qemu(image: Path) -> float:
    """CPU seconds QEMU uses from the guest's first line to its last (start-up excluded)."""
    first: list[float] = []

    def note_start(output: bytes) -> None:
        if not first and START_MARKER in output:
            first.append(_cpu_seconds(qemu.pid))

    with subprocess.Popen(
        qemu_command(image), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    ) as qemu:
        output = read_until(qemu, lambda out: END_MARKER in out, QEMU_TIMEOUT_S, note_start)
        finished = _cpu_seconds(qemu.pid)
        qemu.kill()
    if not first or END_MARKER not in output:
        raise RuntimeError(f"QEMU did not run {image} to {END_MARKER.decode()!r}")
    return finished - first[0]


def time_process(command: list[str], end: bytes) -> tuple[float, float]:
    """Wall and CPU seconds of a whole process, from its start until it prints ``end``.

    The process is killed there (QEMU idles forever after the guest's last line).
    """
    started = time.perf_counter()
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as process:
        output = read_until(process, lambda out: end in out, QEMU_TIMEOUT_S)
        wall = time.perf_counter() - started
        os.kill(process.pid, signal.SIGKILL)  # not Popen.kill: it may reap, losing the usage
        _pid, _status, usage = os.wait4(process.pid, 0)
        process.returncode = 0  # reaped here
    if end not in output:
        raise RuntimeError(f"{command[0]} did not print {end.decode()!r}")
    return wall, usage.ru_utime + usage.ru_stime


def compare_whole_processes(image: Path, repetitions: int) -> dict[str, float]:
    """``rthv run-bare`` against the deterministic QEMU, pair by pair; medians and ratios."""
    ours = [sys.executable, "-m", "rthv.tools.cli", "run-bare", str(image)]
    qemu = qemu_command(image, *QEMU_DETERMINISTIC)
    pairs = [
        (time_process(ours, END_MARKER), time_process(qemu, END_MARKER)) for _ in range(repetitions)
    ]
    return {
        "rthv_cpu_seconds": round(statistics.median(r[1] for r, _ in pairs), 3),
        "qemu_cpu_seconds": round(statistics.median(q[1] for _, q in pairs), 3),
        "rthv_wall_seconds": round(statistics.median(r[0] for r, _ in pairs), 3),
        "qemu_wall_seconds": round(statistics.median(q[0] for _, q in pairs), 3),
        "ratio_cpu": round(statistics.median(q[1] / r[1] for r, q in pairs), 3),
        "ratio_wall": round(statistics.median(q[0] / r[0] for r, q in pairs), 3),
    }


def run_speed(image: Path, repetitions: int = 3) -> SpeedResult:
    """Run the compute guest ``repetitions`` times on each and take medians; then the whole
    processes against the deterministic QEMU, the trap micro-benchmark and the workloads."""
    ours = [time_rthv(image) for _ in range(repetitions)]
    instructions = ours[0][0]
    rthv_s = statistics.median(seconds for _, seconds in ours)
    qemu_s = statistics.median(time_qemu(image) for _ in range(repetitions))
    unicorn_s = statistics.median(time_unicorn_to_end(image) for _ in range(repetitions))
    rthv_mips = instructions / rthv_s / 1e6
    qemu_mips = instructions / qemu_s / 1e6
    unicorn_mips = instructions / unicorn_s / 1e6
    return SpeedResult(
        image=str(image),
        instructions=instructions,
        repetitions=repetitions,
        rthv_seconds=round(rthv_s, 3),
        qemu_seconds=round(qemu_s, 3),
        unicorn_seconds=round(unicorn_s, 3),
        rthv_mips=round(rthv_mips, 1),
        qemu_mips=round(qemu_mips, 1),
        unicorn_mips=round(unicorn_mips, 1),
        ratio=round(rthv_mips / qemu_mips, 3),
        ratio_to_unicorn=round(rthv_mips / unicorn_mips, 3),
        native_counter=native_available(),
        host=f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        whole_process=compare_whole_processes(image, repetitions),
        trap_us=run_trap_bench(TRAPBENCH_IMAGE, image, repetitions),
        workloads=run_workloads(repetitions),
        engine=engine_build(),
        modules=compiled_modules.STATUS,
    )


def speed_markdown(result: SpeedResult) -> str:
    """The speed figures as Markdown tables (the later ones only when they were measured)."""
    tables = [_compute_markdown(result)]
    if result.whole_process:
        tables.append(_whole_process_markdown(result.whole_process))
    if result.trap_us:
        tables.append(traps_markdown(result.trap_us))
    if result.workloads:
        tables.append(workloads_markdown(result.workloads))
    return "\n\n".join(tables)


def _whole_process_markdown(figures: dict[str, float]) -> str:
    return "\n".join(
        [
            "| whole process, compute guest | CPU time (median) | wall time (median) |",
            "|---|---:|---:|",
            f"| rthv run-bare | {figures['rthv_cpu_seconds']} s | "
            f"{figures['rthv_wall_seconds']} s |",
            f"| qemu-system-arm -icount shift=0,sleep=off | {figures['qemu_cpu_seconds']} s | "
            f"{figures['qemu_wall_seconds']} s |",
            f"| **rthv speed / deterministic QEMU** (median of pairs) | "
            f"**{figures['ratio_cpu']}** | {figures['ratio_wall']} |",
        ]
    )


def _compute_markdown(result: SpeedResult) -> str:
    return "\n".join(
        [
            "| simulator | instructions | CPU time (median) | MIPS |",
            "|---|---:|---:|---:|",
            f"| rthv board (engine: {result.engine}; modules: {result.modules}) | "
            f"{result.instructions:,} | "
            f"{result.rthv_seconds} s | {result.rthv_mips} |",
            f"| qemu-system-arm (TCG) | {result.instructions:,} | {result.qemu_seconds} s | "
            f"{result.qemu_mips} |",
            f"| bare Unicorn, no hooks (the ceiling) | {result.instructions:,} | "
            f"{result.unicorn_seconds} s | {result.unicorn_mips} |",
            f"| **ratio rthv / QEMU** | | | **{result.ratio}** |",
            f"| ratio rthv / bare Unicorn | | | {result.ratio_to_unicorn} |",
            f"| ratio bare Unicorn / QEMU | | | "
            f"{round(result.unicorn_mips / result.qemu_mips, 3)} |",
        ]
    )


def write_json(result: SpeedResult | PaperResult | LinuxBootResult, json_path: Path) -> None:
    """Store a benchmark's figures as JSON."""
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(asdict(result), indent=2) + "\n")
