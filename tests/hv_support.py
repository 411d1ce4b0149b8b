"""Helpers for hypervisor tests: write a system configuration, boot it, collect consoles."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rthv.hv.config import load_config
from rthv.hv.hypervisor import Hypervisor
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


@dataclass
class System:
    """A booted hypervisor with each console's text."""

    hv: Hypervisor
    consoles: dict[str, bytearray] = field(default_factory=dict)

    def output(self, name: str) -> str:
        """What ``name`` (a VM, or "rthv" for the hypervisor) printed."""
        return self.consoles.get(name, bytearray()).decode()


def boot(path: Path) -> System:
    """Load and boot a system."""
    consoles: dict[str, bytearray] = {}
    hv = Hypervisor(
        load_config(path),
        console=lambda name, data: consoles.setdefault(name, bytearray()).extend(data),
    )
    hv.boot()
    return System(hv, consoles)


def run(path: Path, until_ms: int | None = None) -> System:
    """Boot and run a system until ``until_ms`` of virtual time, or until it idles."""
    system = boot(path)
    system.hv.run(None if until_ms is None else until_ms * 1_000_000)
    return system
