"""Placing guest images in board memory at their VM's placement, and the VM's device tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from rthv.board.description import load_board
from rthv.board.devicetree import (
    FIRMWARE_FREE_SPACE,
    DeviceTreeSpec,
    GicSpec,
    MemoryRange,
    TimerSpec,
    UartSpec,
    device_tree_blob,
)
from rthv.board.loader import ImageError, read_image
from rthv.board.memory import PhysicalMemory
from rthv.hv.config import parse_config
from rthv.hv.images import (
    FIRMWARE_CONFIG,
    VmEntry,
    ipa_to_pa,
    linux_device_tree,
    place_images,
    vm_device_tree,
)
from support import DATA_AND_BSS_PROGRAM, assemble, guest_image, link_elf
from test_devicetree import decode, node

RAM_IPA, RAM_PA = 0x8000_0000, 0x8100_0000
NEXT_IPA = RAM_IPA + 0x10_0000  # right after the 1 MiB RAM region, placed elsewhere
FDT_MAGIC = 0xD00DFEED

PROGRAM = DATA_AND_BSS_PROGRAM


def _memory() -> PhysicalMemory:
    memory = PhysicalMemory()
    for block in load_board("vexpress-a15").ram:
        memory.add_ram(block.name, block.base, block.size)
    return memory


def _vm(images: str, memory: str = "", keys: str = "") -> str:
    """VM a: ``images``, 1 MiB of RAM at RAM_IPA placed at RAM_PA, then ``memory``."""
    return (
        f'board = "vexpress-a15"\n[[vm]]\nname = "a"\n{keys}\n{images}'
        f'[[vm.memory]]\nipa = {RAM_IPA:#x}\nsize = "1M"\npa = {RAM_PA:#x}\n{memory}'
    )


def _image(path: Path, extra: str = "") -> str:
    return f'[[vm.image]]\npath = "{path}"\n{extra}\n'


def _link(folder: Path, source: str = PROGRAM) -> Path:
    """``source`` assembled and linked with .text at RAM_IPA."""
    return link_elf(folder, RAM_IPA, source)


# -- ipa_to_pa ----------------------------------------------------------------------------------


def test_ipa_to_pa_inside_a_region_keeps_the_offset(tmp_path: Path) -> None:
    """Each region's IPAs map to its placement: the fixed PA, or the one chosen for "auto"."""
    memory = f'[[vm.memory]]\nipa = {NEXT_IPA:#x}\nsize = "64K"\n'
    config = parse_config(_vm(_image(guest_image("hello")), memory), tmp_path)
    vm = config.vm("a")
    assert ipa_to_pa(config, vm, RAM_IPA + 0x10, 4) == RAM_PA + 0x10
    assert ipa_to_pa(config, vm, NEXT_IPA - 4, 4) == RAM_PA + 0x10_0000 - 4
    second = config.placements.memory_pa("a", 1)
    assert second != RAM_PA + 0x10_0000  # the two regions are not contiguous in PA space
    assert ipa_to_pa(config, vm, NEXT_IPA + 8, 8) == second + 8


@pytest.mark.parametrize(
    ("ipa", "length"),
    [(0x7000_0000, 4), (NEXT_IPA - 2, 4), (NEXT_IPA + 0x1_0000, 1)],
    ids=["below", "across-two-regions", "past-the-end"],
)
def test_ipa_to_pa_outside_one_region_names_the_vm_and_range(
    tmp_path: Path, ipa: int, length: int
) -> None:
    """A range not inside a single region is refused, even if both ends are VM memory."""
    memory = f'[[vm.memory]]\nipa = {NEXT_IPA:#x}\nsize = "64K"\n'
    config = parse_config(_vm(_image(guest_image("hello")), memory), tmp_path)
    with pytest.raises(ImageError) as error:
        ipa_to_pa(config, config.vm("a"), ipa, length)
    assert str(error.value) == f'vm "a": [{ipa:#x}, {ipa + length:#x}) is not in its memory'


# -- place_images --------------------------------------------------------------------------------


def test_an_elf_is_copied_to_the_placed_pa_and_its_entry_returned(tmp_path: Path) -> None:
    """Every segment of hello.elf lands at RAM_PA + its offset, not at its IPA."""
    hello = guest_image("hello")
    config = parse_config(_vm(_image(hello)), tmp_path)
    memory = _memory()
    image = read_image(hello)
    assert place_images(config, memory) == {"a": VmEntry(image.entry)}
    for segment in image.segments:
        pa = RAM_PA + segment.address - RAM_IPA
        assert memory.read(pa, len(segment.data)) == segment.data
    assert memory.read(RAM_IPA, 16) == bytes(16)


def test_a_raw_image_goes_at_load_ipa_and_the_entry_override_wins(tmp_path: Path) -> None:
    """A raw binary at load_ipa + 0x1000; ``entry`` replaces load_ipa as the start address."""
    code = assemble("mov r0, #1\nmov r1, #2\nb .", base=RAM_IPA + 0x1000)
    (tmp_path / "code.bin").write_bytes(code)
    raw = _image(
        tmp_path / "code.bin", f"load_ipa = {RAM_IPA + 0x1000:#x}\nentry = {RAM_IPA + 0x1004:#x}"
    )
    memory = _memory()
    assert place_images(parse_config(_vm(raw), tmp_path), memory) == {
        "a": VmEntry(RAM_IPA + 0x1004)
    }
    assert memory.read(RAM_PA + 0x1000, len(code)) == code


def test_the_vm_starts_at_its_first_image(tmp_path: Path) -> None:
    """A raw first image without ``entry`` starts at its load_ipa; the later ELF's entry is not
    used."""
    code = assemble("b .", base=RAM_IPA + 0x8_0000)
    (tmp_path / "code.bin").write_bytes(code)
    images = _image(tmp_path / "code.bin", f"load_ipa = {RAM_IPA + 0x8_0000:#x}") + _image(
        guest_image("hello")
    )
    memory = _memory()
    assert place_images(parse_config(_vm(images), tmp_path), memory) == {
        "a": VmEntry(RAM_IPA + 0x8_0000)
    }
    assert memory.read(RAM_PA + 0x8_0000, 4) == code
    hello = read_image(guest_image("hello")).segments[0]
    assert memory.read(RAM_PA + hello.address - RAM_IPA, 4) == hello.data[:4]


def test_memory_beyond_the_file_bytes_of_a_segment_is_zeroed(tmp_path: Path) -> None:
    """.bss (memsz past filesz) is cleared even over stale bytes; the next byte is untouched."""
    elf = _link(tmp_path)
    _, data = read_image(elf).segments
    pa = RAM_PA + data.address - RAM_IPA
    memory = _memory()
    memory.write(pa, b"\xaa" * 0x100)
    place_images(parse_config(_vm(_image(elf)), tmp_path), memory)
    assert data.size == 4 + 64 and len(data.data) == 4
    assert memory.read(pa, 4) == bytes.fromhex("44332211")
    assert memory.read(pa + 4, 64) == bytes(64)
    assert memory.read(pa + 68, 4) == b"\xaa" * 4


def test_dtb_writes_the_vm_tree_at_the_start_of_its_first_ram_region(tmp_path: Path) -> None:
    """Firmware in ROM at IPA 0 (listed first); the tree goes to the first *RAM* region."""
    firmware = assemble("b .", base=0)
    (tmp_path / "fw.bin").write_bytes(firmware)
    text = (
        'board = "vexpress-a15"\n[[vm]]\nname = "a"\ndtb = true\n'
        + _image(tmp_path / "fw.bin", "load_ipa = 0")
        + '[[vm.memory]]\nipa = 0\nsize = "64K"\nkind = "rom"\n'
        + f'[[vm.memory]]\nipa = {RAM_IPA:#x}\nsize = "1M"\npa = {RAM_PA:#x}\n'
    )
    config = parse_config(text, tmp_path)
    memory = _memory()
    assert place_images(config, memory) == {"a": VmEntry(0)}
    spec = vm_device_tree(config.vm("a"), config.board_description)
    blob = device_tree_blob(spec, free_space=FIRMWARE_FREE_SPACE)
    assert len(blob) == len(device_tree_blob(spec)) + FIRMWARE_FREE_SPACE  # room for edits
    assert int.from_bytes(memory.read(RAM_PA, 4), "big") == FDT_MAGIC
    assert int.from_bytes(memory.read(RAM_PA + 4, 4), "big") == len(blob)  # totalsize
    assert memory.read(RAM_PA, len(blob)) == blob
    rom_pa = config.placements.memory_pa("a", 0)
    assert memory.read(rom_pa, 4) == firmware


def test_without_dtb_nothing_is_written_to_ram(tmp_path: Path) -> None:
    """The same VM without ``dtb``: its RAM stays clear."""
    (tmp_path / "fw.bin").write_bytes(assemble("b .", base=0))
    text = (
        'board = "vexpress-a15"\n[[vm]]\nname = "a"\n'
        + _image(tmp_path / "fw.bin", "load_ipa = 0")
        + '[[vm.memory]]\nipa = 0\nsize = "64K"\nkind = "rom"\n'
        + f'[[vm.memory]]\nipa = {RAM_IPA:#x}\nsize = "1M"\npa = {RAM_PA:#x}\n'
    )
    memory = _memory()
    place_images(parse_config(text, tmp_path), memory)
    assert memory.read(RAM_PA, 64) == bytes(64)


# -- vm_device_tree ------------------------------------------------------------------------------


def test_the_vm_tree_describes_its_own_uarts_ram_and_console(tmp_path: Path) -> None:
    """UART2 at UART0's IPA and UART3 without IRQs; RAM but not ROM; stdout is UART3."""
    devices = (
        '[[vm.device]]\nname = "timer01"\n'
        '[[vm.device]]\nname = "uart2"\nipa = 0x1c090000\n'
        '[[vm.device]]\nname = "uart3"\nirqs = []\n'
    )
    memory = '[[vm.memory]]\nipa = 0\nsize = "64K"\nkind = "rom"\n'
    memory += '[[vm.memory]]\nipa = 0x90000000\nsize = "64K"\n'
    text = _vm(_image(guest_image("hello")), memory + devices, keys='console = "uart3"')
    config = parse_config(text, tmp_path)
    assert vm_device_tree(config.vm("a"), config.board_description) == DeviceTreeSpec(
        memory=(MemoryRange(RAM_IPA, 0x10_0000), MemoryRange(0x9000_0000, 0x1_0000)),
        gic=GicSpec(0x2C00_1000, 0x2C00_2000),
        uarts=(UartSpec(0x1C09_0000, 39 - 32), UartSpec(0x1C0C_0000, None)),
        timer=TimerSpec(phys_ppi=30 - 16, virt_ppi=27 - 16, hyp_ppi=26 - 16),
        stdout_uart=1,
        firmware_config=FIRMWARE_CONFIG,
    )


def test_a_vm_without_console_has_no_stdout_and_no_foreign_uarts(tmp_path: Path) -> None:
    """No console: no stdout-path; UARTs of the board the VM was not given are absent."""
    text = _vm(_image(guest_image("hello")), '[[vm.device]]\nname = "uart1"\n')
    config = parse_config(text, tmp_path)
    spec = vm_device_tree(config.vm("a"), config.board_description)
    assert spec.uarts == (UartSpec(0x1C0A_0000, 38 - 32),)
    assert spec.stdout_uart is None
    assert spec.memory == (MemoryRange(RAM_IPA, 0x10_0000),)


# -- Linux ---------------------------------------------------------------------------------------


def _linux(tmp_path: Path, linux: str = "") -> str:
    kernel = bytearray(0x3000)
    kernel[0x24:0x28] = (0x016F2818).to_bytes(4, "little")
    (tmp_path / "zImage").write_bytes(bytes(kernel))
    (tmp_path / "initrd.gz").write_bytes(b"\x1f\x8b" + b"cpio" * 100)
    return (
        'board = "virt"\n[[vm]]\nname = "linux"\nconsole = "uart0"\n'
        f'[vm.linux]\nkernel = "zImage"\ninitrd = "initrd.gz"\n{linux}\n'
        '[[vm.memory]]\nipa = 0x40000000\nsize = "64M"\npa = 0x42000000\n'
        '[[vm.device]]\nname = "uart0"\n'
    )


def test_linux_kernel_initramfs_and_tree_are_placed_by_the_boot_protocol(tmp_path: Path) -> None:
    """zImage at +32 MiB, tree in the top 64 KiB, initramfs below; r0 = 0, r1 = ~0, r2 = tree."""
    config = parse_config(_linux(tmp_path), tmp_path)
    memory = PhysicalMemory()
    memory.add_ram("dram", 0x4000_0000, 0x0800_0000)
    dtb, initrd = 0x4400_0000 - 0x1_0000, 0x43FF_0000 - 0x1000
    assert place_images(config, memory) == {"linux": VmEntry(0x4200_0000, (0, 0xFFFF_FFFF, dtb))}
    to_pa = 0x4200_0000 - 0x4000_0000
    assert memory.read(0x4200_0000 + to_pa, 0x3000) == (tmp_path / "zImage").read_bytes()
    assert memory.read(initrd + to_pa, 402) == (tmp_path / "initrd.gz").read_bytes()
    assert int.from_bytes(memory.read(dtb + to_pa, 4), "big") == FDT_MAGIC


def test_linux_tree_has_chosen_initramfs_psci_and_the_vm_devices(tmp_path: Path) -> None:
    """The tree the kernel reads: default command line, initramfs range, PSCI over HVC."""
    config = parse_config(_linux(tmp_path), tmp_path)
    initrd = (0x43FE_F000, 0x43FE_F000 + 402)
    spec = linux_device_tree(config.vm("linux"), config.board_description, initrd)
    text = decode(device_tree_blob(spec), tmp_path)
    chosen = node(text, "chosen")
    assert 'bootargs = "console=ttyAMA0 earlycon";' in chosen
    assert "linux,initrd-start = <0x00 0x43fef000>;" in chosen
    assert "linux,initrd-end = <0x00 0x43fef192>;" in chosen
    assert 'stdout-path = "/serial@9000000";' in chosen
    assert 'method = "hvc";' in node(text, "psci")
    assert "reg = <0x00 0x40000000 0x00 0x4000000>;" in node(text, "memory@40000000")
    assert "serial@9040000" not in text  # the board's other UART is not this VM's
    assert "config" not in text  # no firmware settings for a kernel


def test_linux_bootargs_from_the_configuration(tmp_path: Path) -> None:
    """``bootargs`` replaces the default command line."""
    config = parse_config(_linux(tmp_path, 'bootargs = "console=ttyAMA0 quiet"'), tmp_path)
    spec = linux_device_tree(config.vm("linux"), config.board_description, None)
    assert (spec.bootargs, spec.initrd) == ("console=ttyAMA0 quiet", None)
