"""Bare firmware boot: image in flash, device tree in RAM, console watched, bus faults noted."""

from __future__ import annotations

from pathlib import Path

import pytest

from rthv.tools.firmware import FirmwareError, boot_firmware_bare
from support import assemble

PRINT_THEN_TOUCH_NOTHING = """
    ldr r1, =0x09000000     @ virt's PL011 data register
    mov r0, #'o'
    str r0, [r1]
    mov r0, #'k'
    str r0, [r1]
    ldr r3, =0x0a800000     @ nothing is there on this board
    ldr r2, [r3]
    b .
"""


def test_firmware_runs_from_flash_prints_and_its_bus_faults_are_recorded(tmp_path: Path) -> None:
    """The CPU starts at the flash base; the run stops at the console marker; an access to
    nothing is recorded as a bus fault."""
    image = tmp_path / "fw.bin"
    image.write_bytes(assemble(PRINT_THEN_TOUCH_NOTHING, base=0))
    boot = boot_firmware_bare(image, "virt")
    boot.run_until_output("ok", limit_ms=1)
    assert boot.output == "ok"
    assert boot.mmio.writes == {"uart0": 2} and boot.mmio.spans["uart0"] == (0, 0)
    boot.machine.run(boot.machine.clock.now() + 10_000)
    assert [(f.address, f.write, f.unmapped) for f in boot.faults][:1] == [
        (0x0A80_0000, False, True)
    ]


def test_firmware_that_cannot_be_booted_is_refused_by_name(tmp_path: Path) -> None:
    """A board without flash, a missing file: one-line FirmwareErrors."""
    image = tmp_path / "fw.bin"
    image.write_bytes(bytes(4))
    with pytest.raises(FirmwareError, match="board vexpress-a15 has no flash"):
        boot_firmware_bare(image, "vexpress-a15")
    with pytest.raises(FirmwareError, match="no such firmware file"):
        boot_firmware_bare(tmp_path / "none.bin", "virt")
