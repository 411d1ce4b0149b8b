"""Systems around the ``probe`` guest: one probe VM (with its script) next to a hello VM."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from pathlib import Path

import rthv
from hv_support import boot, vm_toml
from support import guest_image

SCRIPT_IPA = 0x80400000
RESULTS_IPA = 0x80800000
PAGE = 4096
HELLO = "Hello from rthv guest\nhello done\n"

Case = Sequence[int]


def _pages(size: int) -> int:
    return max(PAGE, -(-size // PAGE) * PAGE)


def probe_toml(
    folder: Path, probe: int, cases: Sequence[Case] = (), *, name: str = "p", keys: str = ""
) -> str:
    """A [[vm]] running the probe guest with script ``probe`` and table ``cases``."""
    script = folder / f"probe-{name}.bin"
    words = [probe, len(cases), *(word for case in cases for word in case)]
    script.write_bytes(struct.pack(f"<{len(words)}I", *(w & 0xFFFFFFFF for w in words)))
    return "\n".join(
        [
            "[[vm]]",
            f'name = "{name}"',
            'console = "uart0"',
            keys,
            "[[vm.image]]",
            f'path = "{guest_image("probe")}"',
            "[[vm.image]]",
            f'path = "{script}"',
            f"load_ipa = {SCRIPT_IPA:#x}",
            "[[vm.memory]]",
            "ipa = 0x80000000",
            'size = "1M"',
            "[[vm.memory]]",
            "ipa = 0x80200000",
            'size = "4K"',
            "[[vm.memory]]",
            f"ipa = {SCRIPT_IPA:#x}",
            f"size = {_pages(4 * len(words))}",
            "[[vm.memory]]",
            f"ipa = {RESULTS_IPA:#x}",
            f"size = {_pages(4 * len(cases))}",
            "[[vm.memory]]",
            "ipa = 0x88000000",
            'size = "4K"',
            'kind = "rom"',
            "[[vm.device]]",
            'name = "uart0"',
            "",
        ]
    )


def probe_system(
    folder: Path, probe: int, cases: Sequence[Case] = (), head: str = "", keys: str = ""
) -> Path:
    """A system file: the probe VM ``p`` (with extra ``keys``) and a hello VM ``b`` on UART1."""
    path = folder / "system.toml"
    header = 'board = "vexpress-a15"\n' + (head or '[scheduler]\npolicy = "round-robin"\n')
    vms = probe_toml(folder, probe, cases, keys=keys) + vm_toml("b", "hello", uart="uart1")
    path.write_text(header + vms)
    return path


def run_probe(
    folder: Path, probe: int, cases: Sequence[Case] = (), until_ms: int = 50, keys: str = ""
) -> rthv.System:
    """Boot and run the probe system for ``until_ms`` of virtual time (recent trace only)."""
    system = boot(probe_system(folder, probe, cases, keys=keys), full_trace=False)
    system.hypervisor.run(until_ms * 1_000_000)
    return system


def results(system: rthv.System, count: int, vm: str = "p") -> list[int]:
    """The probe's result words, read from its RAM through its Stage-2 table."""
    hv = system.hypervisor
    translation = hv.vms[vm].stage2.translate(RESULTS_IPA)
    assert translation is not None
    data = hv.machine.memory.read(translation.pa, 4 * count)
    return list(struct.unpack(f"<{count}I", data))
