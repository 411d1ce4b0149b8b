"""Unmodified third-party firmware as a VM: Debian's U-Boot for QEMU virt reaches its prompt."""

from __future__ import annotations

from pathlib import Path

import pytest

import rthv

CONFIG = Path(__file__).resolve().parents[1] / "examples" / "uboot-vm.toml"
FIRMWARE = Path("/usr/lib/u-boot/qemu_arm/u-boot.bin")
PROMPT = "=> "


def _booted() -> rthv.System:
    if not FIRMWARE.is_file():
        pytest.fail(f"{FIRMWARE} is missing: `make` installs Debian's u-boot-qemu")
    system = rthv.load(CONFIG)
    system.vm("uboot").console.expect(PROMPT, within="100ms")
    return system


def test_uboot_reaches_its_prompt_in_a_vm_seeing_only_its_own_machine() -> None:
    """The VM's generated tree is what U-Boot sees: 64 MiB of RAM and one UART; no faults."""
    system = _booted()
    console = system.vm("uboot").console.text
    assert "U-Boot 2023.01" in console
    assert "DRAM:  64 MiB" in console  # the VM's RAM, not the board's 128 MiB
    assert "Out:   serial@9000000" in console
    assert system.vm("uboot").fault is None


def test_uboot_answers_commands_typed_into_its_uart() -> None:
    """Typed commands are answered: `version` prints the banner, `echo` echoes."""
    console = _booted().vm("uboot").console
    for command, answer in (("version\n", "GNU ld"), ("echo rthv-in-a-vm\n", "rthv-in-a-vm\r\n")):
        console.send(command)
        console.expect(command.strip(), within="100ms")  # U-Boot echoes what it reads
        console.expect(answer, within="100ms")
        console.expect(PROMPT, within="100ms")


def test_uboot_vm_boot_is_deterministic() -> None:
    """Two boots reach the prompt at the same virtual time, with the same console."""
    runs = []
    for _ in range(2):
        system = _booted()
        runs.append((system.vm("uboot").console.text, system.now_ns, system.report["vms"]))
    assert runs[0] == runs[1]
