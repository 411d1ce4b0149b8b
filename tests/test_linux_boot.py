"""The Linux boot protocol: where kernel, initramfs and device tree go, and the entry registers."""

from __future__ import annotations

from pathlib import Path

import pytest

from rthv.hv.linux_boot import (
    DTB_SLOT,
    KERNEL_OFFSET,
    MACHINE_TYPE_NONE,
    LinuxBootError,
    linux_layout,
    read_linux,
)

RAM = 0x4000_0000
MIB = 0x10_0000


def zimage(size: int = 0x1000) -> bytes:
    """A stand-in zImage: zeros with the zImage magic at offset 0x24."""
    data = bytearray(size)
    data[0x24:0x28] = (0x016F2818).to_bytes(4, "little")
    return bytes(data)


def test_kernel_32_mib_in_tree_at_the_top_initramfs_just_below() -> None:
    """112 MiB of RAM: zImage at +32 MiB, tree in the top 64 KiB, initramfs page-aligned below."""
    layout = linux_layout(RAM, 112 * MIB, 5_468_672, 883_672)
    assert layout.kernel == RAM + KERNEL_OFFSET == 0x4200_0000
    assert layout.kernel_end == 0x4200_0000 + 5_468_672
    assert layout.dtb == RAM + 112 * MIB - DTB_SLOT == 0x46FF_0000
    assert layout.initrd == (0x46F1_8000, 0x46F1_8000 + 883_672)
    assert layout.registers == (0, MACHINE_TYPE_NONE, 0x46FF_0000)


def test_large_ram_keeps_tree_and_initramfs_in_the_first_128_mib() -> None:
    """1 GiB of RAM: the tree still ends at 128 MiB, inside the early low-memory mapping."""
    layout = linux_layout(RAM, 1024 * MIB, 4 * MIB, 0)
    assert layout.dtb == RAM + 128 * MIB - DTB_SLOT
    assert layout.initrd is None


def test_ram_too_small_names_what_is_needed() -> None:
    """40 MiB cannot hold a 5 MiB zImage at +32 MiB, its decompressor and a 4 MiB initramfs."""
    with pytest.raises(LinuxBootError) as error:
        linux_layout(RAM, 40 * MIB, 5 * MIB, 4 * MIB)
    assert str(error.value) == (
        "40 MiB of RAM is too small for the kernel and initramfs (they need 43 MiB)"
    )


def test_read_linux_takes_a_zimage_and_an_optional_initramfs(tmp_path: Path) -> None:
    """The bytes come back as they are; no initramfs reads as empty."""
    (tmp_path / "zImage").write_bytes(zimage())
    (tmp_path / "initrd").write_bytes(b"\x1f\x8b initramfs")
    images = read_linux(tmp_path / "zImage", tmp_path / "initrd")
    assert (images.kernel, images.initrd) == (zimage(), b"\x1f\x8b initramfs")
    assert read_linux(tmp_path / "zImage", None).initrd == b""


def test_read_linux_refuses_what_is_no_zimage(tmp_path: Path) -> None:
    """An ELF (or anything without the magic at 0x24) is not a zImage."""
    (tmp_path / "vmlinux").write_bytes(b"\x7fELF" + bytes(0x40))
    with pytest.raises(LinuxBootError) as error:
        read_linux(tmp_path / "vmlinux", None)
    assert str(error.value) == (
        f"kernel {tmp_path / 'vmlinux'}: not an Arm zImage (no magic 0x016f2818 at offset 0x24)"
    )


@pytest.mark.parametrize("missing", ["kernel", "initrd"])
def test_read_linux_names_a_missing_file(tmp_path: Path, missing: str) -> None:
    """A missing kernel or initramfs is named with its path."""
    (tmp_path / "zImage").write_bytes(zimage())
    kernel = tmp_path / ("nothing" if missing == "kernel" else "zImage")
    initrd = tmp_path / "nothing"
    with pytest.raises(LinuxBootError) as error:
        read_linux(kernel, initrd)
    assert str(error.value) == f"{missing} {tmp_path / 'nothing'}: No such file or directory"
