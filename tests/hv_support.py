"""Helpers for hypervisor tests: write a system configuration; boot and run it (public API)."""

from __future__ import annotations

from pathlib import Path

import rthv
from support import guest_image


def vm_toml(
    name: str,
    image: str,
    *,
    uart: str = "uart0",
    ram: str = "1M",
    devices: tuple[str, ...] = (),
    sched: str = "",
) -> str:
    """A [[vm]] table: the image at IPA 0x80000000 and ``uart`` seen at UART0's address."""
    lines = [
        "[[vm]]",
        f'name = "{name}"',
        f'console = "{uart}"',
        "[[vm.image]]",
        f'path = "{guest_image(image)}"',
        "[[vm.memory]]",
        "ipa = 0x80000000",
        f'size = "{ram}"',
        "[[vm.device]]",
        f'name = "{uart}"',
        "ipa = 0x1c090000",
    ]
    for device in devices:
        lines += ["[[vm.device]]", f'name = "{device}"']
    if sched:
        lines += ["[vm.sched]", sched]
    return "\n".join(lines) + "\n"


def write_system(folder: Path, *vms: str, head: str = "", tail: str = "") -> Path:
    """A system configuration file made of ``vms`` tables."""
    path = folder / "system.toml"
    header = 'board = "vexpress-a15"\n' + (head or '[scheduler]\npolicy = "round-robin"\n')
    path.write_text(header + "\n".join(vms) + tail)
    return path


def boot(path: Path, *, full_trace: bool = True) -> rthv.System:
    """Load and boot a system (keeping its whole trace, unless ``full_trace`` is False)."""
    return rthv.load(path, full_trace=full_trace)


def run(path: Path, until_ms: int | None = None) -> rthv.System:
    """Boot and run a system until ``until_ms`` of virtual time, or until it idles."""
    system = rthv.load(path)
    system.run(None if until_ms is None else until_ms * 1_000_000)
    return system


def two_vm_system(
    tmp_path: Path,
    policy: str,
    images: tuple[str, str],
    sched: tuple[str, str] = ("", ""),
    params: str = "",
) -> Path:
    """VM a (uart0, timer01) and b (uart1, timer23), 4 MiB each, under ``policy``."""
    head = f'[scheduler]\npolicy = "{policy}"\n{params}\n'
    a = vm_toml("a", images[0], ram="4M", devices=("timer01",), sched=sched[0])
    b = vm_toml("b", images[1], uart="uart1", ram="4M", devices=("timer23",), sched=sched[1])
    return write_system(tmp_path, a, b.replace("ipa = 0x1c090000\n", ""), head=head)


# Shared rings and notify channels of guests/rtos/apps/pingpong-vm/layout.h.
PINGPONG_SHARED = """
[[shared_memory]]
name = "rings"
size = "64K"
[[shared_memory.view]]
vm = "a"
ipa = 0x80400000
[[shared_memory.view]]
vm = "b"
ipa = 0x80400000
[[notify]]
from = "a"
to = "b"
virq = 48
id = 0
[[notify]]
from = "b"
to = "a"
virq = 49
id = 1
"""
