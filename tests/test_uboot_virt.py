"""Debian's unmodified U-Boot for QEMU virt reaches its prompt on our virt board and answers."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from rthv.board.description import load_board
from rthv.board.devicetree import MemoryRange, device_tree_blob, spec_from_board
from rthv.tools.firmware import (
    NO_AUTOBOOT,
    UBOOT_PROMPT,
    UBOOT_QEMU_ARM,
    FirmwareBoot,
    boot_firmware_bare,
)

PROMPT_LIMIT_MS = 50  # U-Boot prints its prompt after ~8 ms of virtual time at 1 GHz


def uboot_banner() -> str:
    """The version banner compiled into the installed U-Boot, e.g. ``U-Boot 2023.01... (date)``."""
    if not UBOOT_QEMU_ARM.is_file():
        pytest.fail(f"{UBOOT_QEMU_ARM} is missing: install Debian's u-boot-qemu (`make setup`)")
    found = re.search(rb"U-Boot 20\d\d\.\d\d[^\0(]* \([^\0)]+\)", UBOOT_QEMU_ARM.read_bytes())
    assert found, "no version banner in the U-Boot image"
    return found.group().decode()


def boot_to_prompt(dtb: bytes | None = None) -> tuple[FirmwareBoot, int]:
    """U-Boot on a fresh virt board, run exactly until its first prompt; returns the cycle."""
    uboot_banner()
    boot = boot_firmware_bare(UBOOT_QEMU_ARM, "virt", dtb=dtb)
    return boot, boot.run_until_output(UBOOT_PROMPT, limit_ms=PROMPT_LIMIT_MS)


def command(boot: FirmwareBoot, line: str) -> str:
    """Type ``line`` at the prompt; what U-Boot prints up to and including its next prompt."""
    start = len(boot.console)
    boot.type(line + "\n")
    boot.run_until_output(UBOOT_PROMPT, start=start + len(line), limit_ms=PROMPT_LIMIT_MS)
    return boot.output[start:]


def test_uboot_reaches_its_prompt_and_answers_version() -> None:
    """Banner, DRAM from our memory node, console on our PL011, prompt; `version` answers."""
    banner = uboot_banner()
    assert banner.startswith("U-Boot 2023.01")
    boot, _ = boot_to_prompt()
    output = boot.output
    assert banner in output
    assert "DRAM:  128 MiB" in output
    assert "In:    serial@9000000" in output
    assert output.endswith(UBOOT_PROMPT)
    answer = command(boot, "version")
    assert answer.startswith("version\r\n")
    lines = answer.splitlines()
    assert lines[1] == banner
    assert any(line.startswith("arm-linux-gnueabihf-gcc") for line in lines)
    assert any(line.startswith("GNU ld") for line in lines)
    assert answer.endswith(UBOOT_PROMPT)


def test_uboot_touches_only_the_devices_in_its_tree() -> None:
    """No access to an absent device, no flash write (no CFI probe): only the UART's registers."""
    boot, _ = boot_to_prompt()
    command(boot, "version")
    assert boot.faults == []
    assert set(boot.mmio.reads) | set(boot.mmio.writes) == {"uart0"}
    low, high = boot.mmio.spans["uart0"]
    assert low >= 0 and high < 0x1000


def test_uboot_boot_is_deterministic() -> None:
    """Two boots: identical console, cycle and instruction count at the prompt and after it."""
    runs = []
    for _ in range(2):
        boot, cycle = boot_to_prompt()
        at_prompt = (boot.output, cycle, boot.machine.instructions)
        answer = command(boot, "version")
        runs.append((at_prompt, answer, boot.machine.instructions, boot.machine.clock.now()))
    assert runs[0] == runs[1]
    (_, cycle, instructions), *_ = runs[0]
    assert cycle == instructions  # 1 GHz, one cycle per instruction, never idle
    assert 1_000_000 < instructions < PROMPT_LIMIT_MS * 1_000_000


def test_uboot_sizes_ram_from_the_tree() -> None:
    """A tree with one-cell addresses and 64 MiB of RAM: U-Boot reports and relocates into it."""
    spec = replace(
        spec_from_board(load_board("virt"), cells=1),
        memory=(MemoryRange(0x4000_0000, 0x0400_0000),),
        firmware_config=NO_AUTOBOOT,
    )
    boot, _ = boot_to_prompt(device_tree_blob(spec))
    assert "DRAM:  64 MiB" in boot.output
    assert 0x4000_0000 <= boot.machine.core.regs.pc < 0x4400_0000
    assert "=> " in command(boot, "version")
