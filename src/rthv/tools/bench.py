"""``rthv bench``: simulator speed against QEMU. Wall-clock time is measured here and only here.

Benchmarks report how fast the *simulator* runs; no wall-clock figure ever enters a simulated
result. The guest is the same compute-bound image on both: our board counts its instructions
exactly, and QEMU executes the same deterministic instruction stream.
"""

from __future__ import annotations

import json
import os
import platform
import selectors
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import unicorn
from unicorn import arm_const

from rthv.board.counter import native_available
from rthv.board.cpu import NEVER_REACHED
from rthv.board.description import load_board
from rthv.board.loader import read_image
from rthv.tools.bare import boot_bare
from rthv.tools.paper import PaperResult

START_MARKER = b"compute start"
END_MARKER = b"compute done"
QEMU_TIMEOUT_S = 120.0


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


def time_rthv(image: Path) -> tuple[int, float]:
    """Instructions and wall seconds of one run of ``image`` on our board."""
    machine = boot_bare(image)
    started = time.perf_counter()
    result = machine.run()
    return result.instructions, time.perf_counter() - started


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
    started = time.perf_counter()
    uc.emu_start(parsed.entry, NEVER_REACHED)  # returns at the guest's final WFI
    return time.perf_counter() - started, bytes(printed)


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


def time_qemu(image: Path) -> float:
    """Wall seconds QEMU takes from the guest's first line to its last (start-up excluded)."""
    command = [
        "qemu-system-arm", "-M", "vexpress-a15", "-m", "128M", "-nographic",
        "-monitor", "none", "-serial", "stdio", "-kernel", str(image),
    ]  # fmt: skip
    output = b""
    first: float | None = None
    deadline = time.monotonic() + QEMU_TIMEOUT_S
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as qemu:
        assert qemu.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(qemu.stdout, selectors.EVENT_READ)
            while END_MARKER not in output and time.monotonic() < deadline:
                if not selector.select(timeout=1.0):
                    continue
                chunk = os.read(qemu.stdout.fileno(), 65536)
                if not chunk:
                    break
                output += chunk
                if first is None and START_MARKER in output:
                    first = time.perf_counter()
        finished = time.perf_counter()
        qemu.kill()
    if first is None or END_MARKER not in output:
        raise RuntimeError(f"QEMU did not run {image} to {END_MARKER.decode()!r}")
    return finished - first


def run_speed(image: Path, repetitions: int = 3) -> SpeedResult:
    """Run the compute guest ``repetitions`` times on each and take medians."""
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
    )


def speed_markdown(result: SpeedResult) -> str:
    """The speed figures as a Markdown table."""
    return "\n".join(
        [
            "| simulator | instructions | wall time (median) | MIPS |",
            "|---|---:|---:|---:|",
            f"| rthv board | {result.instructions:,} | {result.rthv_seconds} s | "
            f"{result.rthv_mips} |",
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


def write_json(result: SpeedResult | PaperResult, json_path: Path) -> None:
    """Store a benchmark's figures as JSON."""
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(asdict(result), indent=2) + "\n")
