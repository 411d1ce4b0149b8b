"""Unmodified third-party firmware as a VM: Debian's U-Boot for QEMU virt reaches its prompt."""

from __future__ import annotations

from pathlib import Path

import pytest

from hv_support import System, boot

CONFIG = Path(__file__).resolve().parents[1] / "examples" / "uboot-vm.toml"
FIRMWARE = Path("/usr/lib/u-boot/qemu_arm/u-boot.bin")
STEP_NS = 1_000_000


def _until(system: System, text: str, after: int = 0, limit_ms: int = 100) -> None:
    hv = system.hv
    start = hv.machine.clock.now()
    for step in range(1, limit_ms + 1):
        hv.run(hv.machine.clock.to_ns(start) + step * STEP_NS)
        if text in system.output("uboot")[after:]:
            return
    pytest.fail(f"{text!r} not printed; console: {system.output('uboot')!r}")


def _booted() -> System:
    if not FIRMWARE.is_file():
        pytest.fail(f"{FIRMWARE} is missing: `make` installs Debian's u-boot-qemu")
    system = boot(CONFIG)
    _until(system, "=> ")
    return system


def test_uboot_reaches_its_prompt_in_a_vm_seeing_only_its_own_machine() -> None:
    """The VM's generated tree is what U-Boot sees: 64 MiB of RAM and one UART; no faults."""
    system = _booted()
    console = system.output("uboot")
    assert "U-Boot 2023.01" in console
    assert "DRAM:  64 MiB" in console  # the VM's RAM, not the board's 128 MiB
    assert "Out:   serial@9000000" in console
    assert system.hv.faults == []


def test_uboot_answers_commands_typed_into_its_uart() -> None:
    """Typed commands are answered: `version` prints the banner, `echo` echoes."""
    system = _booted()
    uart = system.hv.machine.uart("uart0")
    for command, answer in ((b"version\n", "GNU ld"), (b"echo rthv-in-a-vm\n", "rthv-in-a-vm\r\n")):
        mark = len(system.output("uboot"))
        uart.inject(command)
        _until(system, answer, after=mark)
        _until(system, "=> ", after=mark + len(command))


def test_uboot_vm_boot_is_deterministic() -> None:
    """Two boots reach the prompt after the same instructions with the same console."""
    runs = []
    for _ in range(2):
        system = _booted()
        runs.append((system.output("uboot"), system.hv.vms["uboot"].core.counter.executed))
    assert runs[0] == runs[1]
