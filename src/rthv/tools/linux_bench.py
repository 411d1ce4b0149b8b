"""``rthv bench --linux``: Debian's Linux booting to its shell prompt, on rthv and on QEMU.

Both boot the same zImage and initramfs on a ``virt`` machine with 112 MiB of RAM, QEMU with
``-icount shift=0,sleep=off`` (one instruction a nanosecond, idle time skipped), and both runs
are timed on the host to the same console lines: the kernel's ``Run /init as init process`` and
the shell's first prompt. rthv's figures also give what happened in virtual time. Wall-clock
time is measured here, for the figures only; it never enters a simulated result.
"""

from __future__ import annotations

import re
import resource
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from rthv.tools.api import load
from rthv.tools.process_output import QEMU_DETERMINISTIC, read_until

LINUX = Path("guests/build/linux")
RAM = "112M"
MARKERS = ("Run /init as init process", "linux:/# ")
QEMU_TIMEOUT_S = 600.0
_PRINTK_INIT = re.compile(r"\[\s*(\d+\.\d{6})\] Run /init as init process")


@dataclass(frozen=True)
class LinuxBootResult:
    """Figures of one Linux boot on rthv and on QEMU, to each marker line."""

    kernel: str
    rthv_wall_s: dict[str, float]
    rthv_instructions: dict[str, int]
    rthv_virtual_ms: dict[str, float]
    rthv_printk_init_s: float
    rthv_traps: dict[str, int]
    qemu_wall_s: dict[str, float]
    qemu_printk_init_s: float
    rthv_mips: dict[str, float] = field(default_factory=dict)
    rthv_cpu_s: float = 0.0  # host CPU seconds to the prompt (robust on a busy host)
    qemu_cpu_s: float = 0.0  # QEMU's CPU seconds, all its threads, to the prompt


def linux_config(root: Path) -> str:
    """A ``virt`` system with only the Linux VM (its console on UART0)."""
    build = root / LINUX
    return (
        'board = "virt"\n[[vm]]\nname = "linux"\nconsole = "uart0"\n'
        f'[vm.linux]\nkernel = "{build / "armmp" / "zImage"}"\n'
        f'initrd = "{build / "initramfs.cpio.gz"}"\n'
        f'[[vm.memory]]\nipa = 0x40000000\nsize = "{RAM}"\n[[vm.device]]\nname = "uart0"\n'
    )


def run_linux_bench(root: Path) -> LinuxBootResult:
    """Boot on rthv, then on QEMU; time both to each marker."""
    wall, instructions, virtual_ms = {}, {}, {}
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "linux.toml"
        path.write_text(linux_config(root))
        system = load(path, full_trace=False)
        console = system.vm("linux").console
        started, cpu_started = time.perf_counter(), time.process_time()
        for marker in MARKERS:
            console.expect(re.escape(marker), within="30s")
            wall[marker] = time.perf_counter() - started
            instructions[marker] = system.vm("linux").summary.instructions
            virtual_ms[marker] = float(system.now_ns / 1_000_000)
        cpu = time.process_time() - cpu_started
        summary = system.vm("linux").summary
        counters = system.hypervisor.vms["linux"].counters
        traps = {
            "total": summary.traps,
            "hvc (PSCI)": summary.hypercalls,
            "GICD accesses": summary.gicd_accesses,
            "WFI": counters.wfi,
            "injections": summary.injections,
        }
        printk = _printk_init(console.text)
    qemu_wall, qemu_text, qemu_cpu = time_qemu(root)
    return LinuxBootResult(
        kernel=str(LINUX / "armmp" / "zImage"),
        rthv_wall_s=wall,
        rthv_instructions=instructions,
        rthv_virtual_ms=virtual_ms,
        rthv_printk_init_s=printk,
        rthv_traps=traps,
        qemu_wall_s=qemu_wall,
        qemu_printk_init_s=_printk_init(qemu_text),
        rthv_mips={m: instructions[m] / wall[m] / 1e6 for m in MARKERS},
        rthv_cpu_s=cpu,
        qemu_cpu_s=qemu_cpu,
    )


def time_qemu(root: Path) -> tuple[dict[str, float], str, float]:
    """Host seconds until QEMU's console shows each marker, its console text, its CPU seconds."""
    build = root / LINUX
    command = [
        "qemu-system-arm",
        "-M",
        "virt",
        "-cpu",
        "cortex-a15",
        "-m",
        RAM,
        "-nographic",
        "-monitor",
        "none",
        "-kernel",
        str(build / "armmp" / "zImage"),
        "-initrd",
        str(build / "initramfs.cpio.gz"),
        "-append",
        "console=ttyAMA0 earlycon",
        *QEMU_DETERMINISTIC,
    ]
    seen: dict[str, float] = {}
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()

    def note_markers(output: bytes) -> None:
        for marker in MARKERS:
            if marker not in seen and marker.encode() in output:
                seen[marker] = time.perf_counter() - started

    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    try:
        text = read_until(
            process, lambda _: len(seen) == len(MARKERS), QEMU_TIMEOUT_S, note_markers
        )
    finally:
        process.kill()
        process.wait()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (children.ru_utime - children_before.ru_utime) + (
        children.ru_stime - children_before.ru_stime
    )
    missing = [m for m in MARKERS if m not in seen]
    if missing:
        raise RuntimeError(f"QEMU never printed {missing[0]!r}; its console ends {text[-300:]!r}")
    return seen, text.decode(errors="replace"), cpu


def _printk_init(text: str) -> float:
    found = _PRINTK_INIT.search(text)
    if found is None:
        raise RuntimeError("no 'Run /init as init process' line with a printk time")
    return float(Fraction(found.group(1)))


def linux_markdown(result: LinuxBootResult) -> str:
    """The figures as a Markdown table."""
    init, prompt = MARKERS
    lines = [
        f"Linux boot ({result.kernel}, 112 MiB, virt), to `{init}` and to the first prompt:",
        "",
        "| | rthv | QEMU -icount shift=0,sleep=off |",
        "|---|---:|---:|",
        f"| wall time to `Run /init` | {result.rthv_wall_s[init]:.1f} s | "
        f"{result.qemu_wall_s[init]:.1f} s |",
        f"| wall time to the prompt | {result.rthv_wall_s[prompt]:.1f} s | "
        f"{result.qemu_wall_s[prompt]:.1f} s |",
        f"| host CPU time to the prompt | {result.rthv_cpu_s:.1f} s | {result.qemu_cpu_s:.1f} s |",
        f"| printk time of `Run /init` | {result.rthv_printk_init_s:.3f} s | "
        f"{result.qemu_printk_init_s:.3f} s |",
        f"| instructions to the prompt | {result.rthv_instructions[prompt]:,} | |",
        f"| virtual time at the prompt | {result.rthv_virtual_ms[prompt]:,.1f} ms | |",
        f"| MIPS (to the prompt, wall / CPU) | {result.rthv_mips[prompt]:.0f} / "
        f"{result.rthv_instructions[prompt] / result.rthv_cpu_s / 1e6:.0f} | |",
        "",
        "Traps to the prompt (rthv): "
        + ", ".join(f"{kind} {count:,}" for kind, count in result.rthv_traps.items())
        + ".",
    ]
    return "\n".join(lines)
