"""Loading guest images into physical memory: ELF files (pyelftools) and raw binaries."""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from rthv.board.memory import MemoryMapError, PhysicalMemory

_EM_ARM = "EM_ARM"
_PT_LOAD = "PT_LOAD"


class ImageError(ValueError):
    """An image that cannot be loaded, with the reason."""


@dataclass(frozen=True)
class Segment:
    """A piece of an image placed at a physical address (``size`` includes zero fill)."""

    address: int
    data: bytes
    size: int


@dataclass(frozen=True)
class Image:
    """A parsed image: where its bytes go and where execution starts (bit 0: Thumb)."""

    path: Path
    entry: int
    segments: tuple[Segment, ...]

    @property
    def extent(self) -> tuple[int, int]:
        """Lowest and one-past-highest address the image occupies."""
        return (
            min(s.address for s in self.segments),
            max(s.address + s.size for s in self.segments),
        )


def read_image(path: Path, *, load_address: int | None = None) -> Image:
    """Parse an ELF image, or a raw binary when ``load_address`` is given."""
    if not path.exists():
        raise ImageError(f"{path}: no such file")
    if not path.is_file():
        raise ImageError(f"{path}: not a regular file")
    data = path.read_bytes()
    if load_address is not None:
        if not data:
            raise ImageError(f"{path}: empty raw image")
        return Image(path, load_address, (Segment(load_address, data, len(data)),))
    return _read_elf(path, data)


def _read_elf(path: Path, data: bytes) -> Image:
    if not data.startswith(b"\x7fELF"):
        raise ImageError(f"{path}: not an ELF file (use a load address for raw binaries)")
    try:
        with path.open("rb") as stream:
            elf = ELFFile(stream)
            machine = elf["e_machine"]
            if machine != _EM_ARM:
                raise ImageError(f"{path}: ELF for {machine}, not 32-bit Arm (EM_ARM)")
            if elf.elfclass != 32 or not elf.little_endian:
                raise ImageError(f"{path}: not a 32-bit little-endian ELF")
            loads = [s for s in elf.iter_segments() if s["p_type"] == _PT_LOAD]
            segments = tuple(
                Segment(
                    seg["p_paddr"], _segment_bytes(path, index, seg.header, data), seg["p_memsz"]
                )
                for index, seg in enumerate(loads)
                if seg["p_memsz"] > 0
            )
            entry = int(elf["e_entry"])
    except (ELFError, struct.error) as error:
        raise ImageError(f"{path}: malformed ELF: {error}") from None
    if not segments:
        raise ImageError(f"{path}: ELF has no loadable segments")
    return Image(path, entry, segments)


def _segment_bytes(path: Path, index: int, header: Mapping[str, int], data: bytes) -> bytes:
    """The file bytes of loadable segment ``index``: all of them must be in the file."""
    offset, filesz, memsz = header["p_offset"], header["p_filesz"], header["p_memsz"]
    if filesz > memsz:
        raise ImageError(
            f"{path}: segment {index}: p_filesz {filesz:#x} is larger than p_memsz {memsz:#x}"
        )
    if offset + filesz > len(data):
        raise ImageError(
            f"{path}: segment {index}: its {filesz:#x} bytes at offset {offset:#x} go past the "
            f"end of the file ({len(data):#x} bytes): truncated or malformed ELF"
        )
    return data[offset : offset + filesz]


def load_image(image: Image, memory: PhysicalMemory) -> None:
    """Copy the image's segments into RAM; every byte must land in RAM, not in a device."""
    for segment in image.segments:
        try:
            memory.ram_at(segment.address, segment.size)
        except MemoryMapError as error:
            raise ImageError(f"{image.path}: segment at {segment.address:#x}: {error}") from None
    for segment in image.segments:
        memory.write(segment.address, segment.data)
        fill = segment.size - len(segment.data)
        if fill:
            memory.write(segment.address + len(segment.data), bytes(fill))
