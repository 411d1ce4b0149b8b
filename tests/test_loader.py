"""Guest images: ELF and raw parsing with clear refusals, and placement into board RAM."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from rthv.board.description import load_board
from rthv.board.loader import Image, ImageError, Segment, load_image, read_image
from rthv.board.memory import PhysicalMemory
from support import DATA_AND_BSS_PROGRAM, link_elf

EM_386, EM_ARM, EM_X86_64 = 3, 40, 62

PROGRAM = DATA_AND_BSS_PROGRAM


def _link(tmp_path: Path, text_address: int, source: str = PROGRAM) -> Path:
    """Assemble and link ``source`` with .text at ``text_address``; returns the ELF."""
    return link_elf(tmp_path, text_address, source)


def _elf_header(elf_class: int, data: int, machine: int) -> bytes:
    """A bare ELF header (no segments, no sections): class 1/2 = 32/64-bit, data 1/2 = LE/BE."""
    order = "<" if data == 1 else ">"
    ident = b"\x7fELF" + bytes([elf_class, data, 1, 0]) + bytes(8)
    # e_type=EXEC, e_machine, e_version, e_entry, e_phoff, e_shoff, e_flags, e_ehsize,
    # e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx
    if elf_class == 1:
        fields = struct.pack(
            order + "HHIIIIIHHHHHH", 2, machine, 1, 0, 0, 0, 0, 52, 32, 0, 40, 0, 0
        )
    else:
        fields = struct.pack(
            order + "HHIQQQIHHHHHH", 2, machine, 1, 0, 0, 0, 0, 64, 56, 0, 64, 0, 0
        )
    return ident + fields


def _vexpress_ram() -> PhysicalMemory:
    memory = PhysicalMemory()
    for block in load_board("vexpress-a15").ram:
        memory.add_ram(block.name, block.base, block.size)
    memory.add_device("uart0", 0x1C09_0000, 0x1000, _NullDevice())
    return memory


class _NullDevice:
    def read(self, offset: int, size: int) -> int:
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        pass


def _error(path: Path, *, load_address: int | None = None) -> str:
    with pytest.raises(ImageError) as error:
        read_image(path, load_address=load_address)
    return str(error.value)


def test_missing_file(tmp_path: Path) -> None:
    """A path that does not exist is reported as such."""
    path = tmp_path / "nothing.elf"
    assert _error(path) == f"{path}: no such file"


def test_directory_is_not_an_image(tmp_path: Path) -> None:
    """A directory is refused as not a regular file, even with a load address."""
    assert _error(tmp_path) == f"{tmp_path}: not a regular file"
    assert _error(tmp_path, load_address=0x8000_0000) == f"{tmp_path}: not a regular file"


def test_non_elf_without_load_address(tmp_path: Path) -> None:
    """A file without the ELF magic needs a load address, and the error says so."""
    path = tmp_path / "kernel.bin"
    path.write_bytes(b"\x00\x00\xa0\xe1" * 4)
    assert _error(path) == f"{path}: not an ELF file (use a load address for raw binaries)"


@pytest.mark.parametrize(("machine", "name"), [(EM_X86_64, "EM_X86_64"), (EM_386, "EM_386")])
def test_elf_for_another_architecture(tmp_path: Path, machine: int, name: str) -> None:
    """An ELF for another machine is refused with that machine's name."""
    path = tmp_path / "other.elf"
    path.write_bytes(_elf_header(2 if machine == EM_X86_64 else 1, 1, machine))
    assert _error(path) == f"{path}: ELF for {name}, not 32-bit Arm (EM_ARM)"


@pytest.mark.parametrize(("elf_class", "data"), [(2, 1), (1, 2)], ids=["64-bit", "big-endian"])
def test_arm_elf_must_be_32_bit_little_endian(tmp_path: Path, elf_class: int, data: int) -> None:
    """An EM_ARM ELF that is 64-bit or big-endian is refused."""
    path = tmp_path / "arm.elf"
    path.write_bytes(_elf_header(elf_class, data, EM_ARM))
    assert _error(path) == f"{path}: not a 32-bit little-endian ELF"


def test_arm_elf_without_segments(tmp_path: Path) -> None:
    """A valid 32-bit Arm ELF with nothing to load is refused."""
    path = tmp_path / "empty.elf"
    path.write_bytes(_elf_header(1, 1, EM_ARM))
    assert _error(path) == f"{path}: ELF has no loadable segments"


def test_truncated_elf_is_malformed(tmp_path: Path) -> None:
    """An ELF magic followed by garbage is reported as malformed, not as a crash."""
    path = tmp_path / "short.elf"
    path.write_bytes(b"\x7fELF\x01\x01\x01")
    assert _error(path).startswith(f"{path}: malformed ELF: ")


def test_raw_binary_is_one_segment_at_the_load_address(tmp_path: Path) -> None:
    """With a load address, the file's bytes are one segment there and the entry point."""
    path = tmp_path / "kernel.bin"
    path.write_bytes(b"\x01\x02\x03\x04\x05")
    image = read_image(path, load_address=0x8000_8000)
    assert image == Image(path, 0x8000_8000, (Segment(0x8000_8000, b"\x01\x02\x03\x04\x05", 5),))
    assert image.extent == (0x8000_8000, 0x8000_8005)


def test_raw_elf_file_is_taken_verbatim(tmp_path: Path) -> None:
    """A load address makes even an ELF file a raw image of its bytes."""
    elf = _link(tmp_path, 0x8000_0000)
    image = read_image(elf, load_address=0x8000_0000)
    assert image.segments[0].data == elf.read_bytes()


def test_empty_raw_image(tmp_path: Path) -> None:
    """An empty raw file is refused."""
    path = tmp_path / "empty.bin"
    path.write_bytes(b"")
    assert _error(path, load_address=0x8000_0000) == f"{path}: empty raw image"


def test_arm_elf_segments_entry_and_extent(tmp_path: Path) -> None:
    """A linked guest gives its entry and PT_LOAD segments: code, then data plus .bss fill."""
    elf = _link(tmp_path, 0x8000_0000)
    image = read_image(elf)
    assert image.path == elf
    assert image.entry == 0x8000_0000
    code, data = image.segments
    assert code.address == 0x8000_0000
    assert code.data == bytes.fromhex("0100a0e3feffffea")  # mov r0, #1; b .
    assert code.size == 8
    assert data.data == bytes.fromhex("44332211")
    assert data.size == 4 + 64
    assert image.extent == (0x8000_0000, data.address + 68)


def test_thumb_entry_keeps_bit_zero(tmp_path: Path) -> None:
    """A Thumb entry symbol gives an odd entry address."""
    source = ".syntax unified\n.thumb\n.global _start\n.thumb_func\n_start:\n    b .\n"
    image = read_image(_link(tmp_path, 0x8000_0000, source))
    assert image.entry == 0x8000_0001


def test_load_image_places_bytes_and_zero_fills(tmp_path: Path) -> None:
    """Loading copies file bytes and clears .bss even over stale memory contents."""
    image = read_image(_link(tmp_path, 0x8000_0000))
    code, data = image.segments
    memory = _vexpress_ram()
    memory.write(data.address, b"\xaa" * 0x100)
    load_image(image, memory)
    assert memory.read(code.address, code.size) == code.data
    assert memory.read(data.address, 4) == bytes.fromhex("44332211")
    assert memory.read(data.address + 4, 64) == bytes(64)
    assert memory.read(data.address + 68, 4) == b"\xaa" * 4


def test_load_image_refuses_a_device_address(tmp_path: Path) -> None:
    """An image linked over UART0 is refused, naming the address and the device."""
    image = read_image(_link(tmp_path, 0x1C09_0000))
    memory = _vexpress_ram()
    with pytest.raises(ImageError) as error:
        load_image(image, memory)
    size = image.segments[0].size
    assert str(error.value) == (
        f"{image.path}: segment at 0x1c090000: "
        f"[0x1c090000, {0x1C09_0000 + size:#x}) is not RAM (device uart0)"
    )


def test_load_image_refuses_an_address_without_memory(tmp_path: Path) -> None:
    """An image linked at 0 (no RAM on vexpress-a15) is refused before anything is written."""
    image = read_image(_link(tmp_path, 0x0))
    with pytest.raises(ImageError) as error:
        load_image(image, _vexpress_ram())
    size = image.segments[0].size
    assert str(error.value) == (
        f"{image.path}: segment at 0x0: [0x0, {size:#x}) is not RAM (no memory)"
    )


def test_load_image_checks_every_segment_before_writing(tmp_path: Path) -> None:
    """If a later segment does not fit, the earlier one is not written either."""
    path = tmp_path / "split.bin"
    image = Image(
        path,
        0x8000_0000,
        (Segment(0x8000_0000, b"\x11" * 4, 4), Segment(0x87FF_FFFC, b"\x22" * 8, 8)),
    )
    memory = _vexpress_ram()
    with pytest.raises(ImageError, match=r"segment at 0x87fffffc: .* runs past the end of dram"):
        load_image(image, memory)
    assert memory.read(0x8000_0000, 4) == bytes(4)


def _first_load_header(data: bytes) -> int:
    """File offset of the first PT_LOAD program header of a 32-bit little-endian ELF."""
    (phoff,) = struct.unpack_from("<I", data, 28)
    phentsize, phnum = struct.unpack_from("<HH", data, 42)
    for index in range(phnum):
        at = phoff + index * phentsize
        if struct.unpack_from("<I", data, at) == (1,):
            return int(at)
    raise AssertionError("no PT_LOAD")


def test_elf_cut_inside_its_segment_data_is_refused(tmp_path: Path) -> None:
    """An ELF whose file ends before its segment's bytes do is refused, not zero-filled."""
    data = _link(tmp_path, 0x8000_0000).read_bytes()
    header = _first_load_header(data)
    offset, _vaddr, _paddr, filesz = struct.unpack_from("<IIII", data, header + 4)
    cut = tmp_path / "cut.elf"
    cut.write_bytes(data[: offset + filesz // 2])
    message = _error(cut)
    assert str(cut) in message and "segment 0" in message and "past the end of the file" in message


def test_elf_segment_offset_past_the_end_is_refused(tmp_path: Path) -> None:
    """A segment whose file offset lies beyond the file is refused with its numbers."""
    data = bytearray(_link(tmp_path, 0x8000_0000).read_bytes())
    header = _first_load_header(bytes(data))
    struct.pack_into("<I", data, header + 4, len(data) + 0x1000)
    bad = tmp_path / "offset.elf"
    bad.write_bytes(bytes(data))
    message = _error(bad)
    assert "segment 0" in message and "past the end of the file" in message


def test_elf_segment_with_more_file_bytes_than_memory_is_refused(tmp_path: Path) -> None:
    """p_filesz > p_memsz is malformed: one line that says so, not "negative count"."""
    data = bytearray(_link(tmp_path, 0x8000_0000).read_bytes())
    header = _first_load_header(bytes(data))
    filesz = struct.unpack_from("<I", data, header + 16)[0]
    struct.pack_into("<I", data, header + 20, filesz - 4)  # p_memsz
    bad = tmp_path / "sizes.elf"
    bad.write_bytes(bytes(data))
    message = _error(bad)
    assert "segment 0" in message and "p_filesz" in message and "p_memsz" in message
