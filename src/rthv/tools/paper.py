"""``rthv bench --paper``: the paper's evaluation (its Tables 2 and 3), in exact virtual time.

Boot time and inter-VM communication are read from what the guests themselves print, measured
by their own counters, as the paper measured T-Kernel. Every figure is virtual time, so the
same build gives the same numbers on any host.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rthv.tools.bare import boot_bare
from rthv.tools.system import LinePrefixer, boot_system

GUESTS = Path("guests/build/vexpress-a15")
STEP_NS = 10_000_000
LIMIT_NS = 5_000_000_000


@dataclass(frozen=True)
class PaperResult:
    """The paper's measurements on rthv (microseconds of virtual time unless named otherwise)."""

    boot_bare_us: int
    boot_vm_us: int
    hypervisor_boot_cycles: int
    pingpong_bare_us: int
    pingpong_vm_us: dict[str, int]
    sloc_hv: int
    sloc_by_part: dict[str, int]


def _bare_output(image: Path, marker: str) -> str:
    text = bytearray()
    machine = boot_bare(image, console=lambda _name, data: text.extend(data))
    for step in range(1, LIMIT_NS // STEP_NS + 1):
        machine.run(machine.clock.from_ns(step * STEP_NS))
        if marker.encode() in text:
            return text.decode()
    raise RuntimeError(f"{image} never printed {marker!r}")


def _system_output(config: Path, vm: str, marker: str) -> tuple[str, int]:
    prefixer = LinePrefixer(lambda _line: None)
    hv = boot_system(config, console=prefixer)
    booted_at = hv.machine.clock.now()
    for step in range(1, LIMIT_NS // STEP_NS + 1):
        hv.run(step * STEP_NS)
        if marker in prefixer.text.get(vm, ""):
            return prefixer.text[vm], booted_at
    raise RuntimeError(f"{config}: vm {vm} never printed {marker!r}")


def _number(pattern: str, text: str) -> int:
    match = re.search(pattern, text)
    if match is None:
        raise RuntimeError(f"no match for {pattern!r} in guest output")
    return int(match.group(1))


def sloc(paths: list[Path]) -> int:
    """Physical source lines of code as SLOCCount counts them (the paper's tool)."""
    with tempfile.TemporaryDirectory() as data:  # its own data folder: runs may be concurrent
        command = ["sloccount", "--datadir", data, *map(str, paths)]
        done = subprocess.run(command, capture_output=True, text=True)
    output = done.stdout
    if "SLOC total is zero" in output + done.stderr:
        return 0  # sloccount says so, and exits 1
    if done.returncode != 0:
        raise RuntimeError(f"sloccount failed: {done.stderr.strip()}")
    return _number(
        r"Total Physical Source Lines of Code \(SLOC\)\s*=\s*(\d+)", output.replace(",", "")
    )


PINGPONG_CONFIGS = {
    "round-robin": "pingpong-vm.toml",
    "fixed-priority": "pingpong-vm-fp.toml",
    "edf": "pingpong-vm-edf.toml",
}

HV_PARTS = {
    "core (boot, VMs, traps, hypercalls, IPC, world switch)": [
        "hypervisor.py",
        "vm.py",
        "traps.py",
        "hypercalls.py",
        "ipc.py",
        "images.py",
        "linux_boot.py",
        "psci.py",
        "address_space.py",
        "distributor_trap.py",
        "trap_context.py",
        "trace_log.py",
        "fault_policy.py",
    ],
    "Stage-2 tables": ["stage2.py"],
    "virtual GIC distributor": ["vgic.py", "vgic_registers.py"],
    "scheduler framework": [
        "scheduling/api.py",
        "scheduling/framework.py",
        "scheduling/core.py",
        "scheduling/services.py",
        "scheduling/budget.py",
        "scheduling/stats.py",
        "scheduling/periodic.py",
        "scheduling/params.py",
        "scheduling/errors.py",
        "scheduling/registry.py",
        "scheduling/__init__.py",
    ],
    "scheduling policies": [
        "scheduling/fixed_priority.py",
        "scheduling/edf.py",
        "scheduling/round_robin.py",
        "scheduling/rtds.py",
        "scheduling/arinc653.py",
    ],
    "configuration validation and cost table": [
        "config/__init__.py",
        "config/fields.py",
        "config/model.py",
        "config/checks.py",
        "config/placement.py",
        "config/load.py",
        "costs.py",
    ],
}


def run_paper(root: Path) -> PaperResult:
    """Measure boot time, ping-pong and code size."""
    boot = _bare_output(root / GUESTS / "rtos-boot.elf", "boot: done")
    local = _bare_output(root / GUESTS / "rtos-pingpong-local.elf", "pingpong: PASS")
    vm_boot, booted_at = _system_output(root / "examples" / "boot-vm.toml", "boot", "boot: done")
    pingpong: dict[str, int] = {}
    for policy, name in PINGPONG_CONFIGS.items():
        text, _ = _system_output(root / "examples" / name, "pingpong-a", "pingpong-vm: PASS")
        pingpong[policy] = _number(r"elapsed (\d+) us", text)
    hv_dir = root / "src" / "rthv" / "hv"
    parts = {name: sloc([hv_dir / f for f in files]) for name, files in HV_PARTS.items()}
    return PaperResult(
        boot_bare_us=_number(r"reset -> usermain (\d+) us", boot),
        boot_vm_us=_number(r"reset -> usermain (\d+) us", vm_boot),
        hypervisor_boot_cycles=booted_at,
        pingpong_bare_us=_number(r"elapsed (\d+) us", local),
        pingpong_vm_us=pingpong,
        sloc_hv=sloc([hv_dir]),
        sloc_by_part=parts,
    )


def paper_markdown(result: PaperResult) -> str:
    """The paper's tables with rthv's figures."""
    rows = [
        "| benchmark | bare metal | on rthv | ratio |",
        "|---|---:|---:|---:|",
        f"| boot: reset -> `usermain` | {result.boot_bare_us} us | {result.boot_vm_us} us "
        f"(hypervisor boot: {result.hypervisor_boot_cycles} cycles) | |",
    ]
    for policy, us in result.pingpong_vm_us.items():
        rows.append(
            f"| 1,000 messages each way ({policy}) | {result.pingpong_bare_us} us | {us} us | "
            f"{us / result.pingpong_bare_us:.2f}x |"
        )
    rows += ["", "| `src/rthv/hv` part | SLOC |", "|---|---:|"]
    rows += [f"| {name} | {count} |" for name, count in result.sloc_by_part.items()]
    rows.append(f"| **total `src/rthv/hv`** | **{result.sloc_hv}** |")
    return "\n".join(rows)
