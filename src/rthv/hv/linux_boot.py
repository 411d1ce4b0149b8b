"""The Linux boot protocol for 32-bit Arm: where the kernel, initramfs and device tree go.

As the kernel's ``Documentation/arch/arm/booting.rst`` asks: the zImage lies in the first
128 MiB of RAM, high enough (32 MiB in) that it decompresses below itself without first moving
out of the way; the initramfs and the device tree lie above it, where decompression does not
reach, inside the kernel's low-memory mapping (the tree in the top 64 KiB of the region, the
initramfs right below it). The kernel is entered in SVC mode with the MMU and caches off and
IRQs and FIQs masked (a vCPU's reset state), with r0 = 0, r1 = ~0 (no machine number: the
device tree describes the machine) and r2 = the device tree's IPA.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

KERNEL_OFFSET: Final = 0x0200_0000
DTB_SLOT: Final = 0x1_0000
MACHINE_TYPE_NONE: Final = 0xFFFF_FFFF
_ZIMAGE_MAGIC_OFFSET: Final = 0x24
_ZIMAGE_MAGIC: Final = 0x016F2818
_DECOMPRESSOR_ROOM: Final = 0x0010_0000  # the decompressor's stack and heap, after the zImage
_LOW_MEMORY: Final = 0x0800_0000  # the tree and the initramfs stay in the first 128 MiB
_ALIGNMENT: Final = 0x1000


class LinuxBootError(ValueError):
    """A kernel, initramfs or RAM region that the boot protocol cannot use."""


@dataclass(frozen=True)
class LinuxLayout:
    """IPAs of the kernel, the initramfs ([start, end), or None) and the device tree."""

    kernel: int
    kernel_end: int
    initrd: tuple[int, int] | None
    dtb: int

    @property
    def registers(self) -> tuple[int, int, int]:
        """r0, r1 and r2 at the kernel's entry."""
        return 0, MACHINE_TYPE_NONE, self.dtb


@dataclass(frozen=True)
class LinuxImages:
    """The bytes of a kernel (a zImage) and of its initramfs (empty: none)."""

    kernel: bytes
    initrd: bytes


def read_linux(kernel: Path, initrd: Path | None) -> LinuxImages:
    """Read a zImage and an optional initramfs (``LinuxBootError`` if missing or no zImage)."""
    data = _read(kernel, "kernel")
    magic = data[_ZIMAGE_MAGIC_OFFSET : _ZIMAGE_MAGIC_OFFSET + 4]
    if int.from_bytes(magic, "little") != _ZIMAGE_MAGIC:
        raise LinuxBootError(
            f"kernel {kernel}: not an Arm zImage (no magic 0x016f2818 at offset 0x24)"
        )
    return LinuxImages(data, b"" if initrd is None else _read(initrd, "initrd"))


def _read(path: Path, what: str) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise LinuxBootError(f"{what} {path}: {error.strerror or error}") from None
    if not data:
        raise LinuxBootError(f"{what} {path}: empty file")
    return data


def linux_layout(ram_base: int, ram_size: int, kernel_size: int, initrd_size: int) -> LinuxLayout:
    """Where everything goes in the RAM region [ram_base, ram_base + ram_size)."""
    kernel = ram_base + KERNEL_OFFSET
    kernel_end = kernel + kernel_size
    dtb = ram_base + min(ram_size, _LOW_MEMORY) - DTB_SLOT
    initrd = None
    if initrd_size:
        start = (dtb - initrd_size) & ~(_ALIGNMENT - 1)
        initrd = (start, start + initrd_size)
    lowest = initrd[0] if initrd else dtb
    if kernel_end + _DECOMPRESSOR_ROOM > lowest:
        need = KERNEL_OFFSET + kernel_size + _DECOMPRESSOR_ROOM + initrd_size + DTB_SLOT
        raise LinuxBootError(
            f"{ram_size >> 20} MiB of RAM is too small for the kernel and initramfs "
            f"(they need {(need >> 20) + 1} MiB)"
        )
    return LinuxLayout(kernel, kernel_end, initrd, dtb)
