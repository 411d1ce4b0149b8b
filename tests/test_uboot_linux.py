"""The paper's boot flow: Debian's U-Boot in a VM boots Debian's Linux with ``bootz``."""

from __future__ import annotations

from pathlib import Path

import rthv

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "uboot-linux.toml"
INITRD = REPO / "guests" / "build" / "linux" / "initramfs.cpio.gz"


def test_bootz_at_the_uboot_prompt_boots_linux_to_its_shell() -> None:
    """U-Boot hands the kernel its tree with the command line and initramfs it added; the
    kernel reads both (earlycon on the PL011, the initramfs unpacked) and /init's shell starts."""
    system = rthv.load(EXAMPLE)
    console = system.vm("uboot").console
    console.expect("=> ", within="100ms")
    console.send("setenv bootargs console=ttyAMA0 earlycon\n")
    console.expect("=> ", within="10ms")
    size = INITRD.stat().st_size
    console.send(f"bootz 0x40200000 0x44000000:{size:x} ${{fdtcontroladdr}}\n")
    console.expect("Starting kernel ...", within="100ms")
    console.expect(r"Kernel command line: console=ttyAMA0 earlycon", within="5s")
    console.expect(r"Trying to unpack rootfs image as initramfs", within="5s")
    console.expect(r"linux:/# ", within="10s")
    assert system.vm("uboot").fault is None
