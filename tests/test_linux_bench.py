"""The Linux boot benchmark's pieces: its system, reading the console, the table (no timing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rthv.hv.config import parse_config
from rthv.tools.linux_bench import (
    MARKERS,
    LinuxBootResult,
    _printk_init,
    linux_config,
    linux_markdown,
)

REPO = Path(__file__).resolve().parents[1]


def test_the_benchmark_system_is_linux_alone_on_virt(tmp_path: Path) -> None:
    """One VM with the built kernel and initramfs, 112 MiB, its console on UART0."""
    config = parse_config(linux_config(REPO), tmp_path)
    (vm,) = config.vms
    assert vm.linux is not None
    assert vm.linux.kernel == REPO / "guests/build/linux/armmp/zImage"
    assert (vm.console, vm.memory[0].size) == ("uart0", 112 << 20)


def test_the_printk_time_of_run_init_is_read_from_the_console() -> None:
    text = "[    1.268219] Checked W+X\r\n[    1.268227] Run /init as init process\r\n"
    assert _printk_init(text) == 1.268227
    with pytest.raises(RuntimeError):
        _printk_init("no such line")


def test_the_table_shows_both_simulators_to_both_lines() -> None:
    init, prompt = MARKERS
    result = LinuxBootResult(
        kernel="zImage",
        rthv_wall_s={init: 10.0, prompt: 12.0},
        rthv_instructions={init: 1_000_000_000, prompt: 1_200_000_000},
        rthv_virtual_ms={init: 2500.0, prompt: 2800.0},
        rthv_printk_init_s=1.4,
        rthv_traps={"total": 300, "WFI": 20},
        qemu_wall_s={init: 5.0, prompt: 6.0},
        qemu_printk_init_s=1.27,
        rthv_mips={init: 100.0, prompt: 100.0},
        rthv_cpu_s=10.0,
        qemu_cpu_s=5.0,
    )
    table = linux_markdown(result)
    assert "| wall time to the prompt | 12.0 s | 6.0 s |" in table
    assert "| instructions to the prompt | 1,200,000,000 | |" in table
    assert "| host CPU time to the prompt | 10.0 s | 5.0 s |" in table
    assert "| MIPS (to the prompt, wall / CPU) | 100 / 120 | |" in table
    assert "Traps to the prompt (rthv): total 300, WFI 20." in table
