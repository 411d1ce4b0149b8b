"""Loading guest images into physical memory: ELF files (pyelftools) and raw binaries."""

from __future__ import annotations

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
            segments = tuple(
                Segment(seg["p_paddr"], seg.data(), seg["p_memsz"])
                for seg in elf.iter_segments()
                if seg["p_type"] == _PT_LOAD and seg["p_memsz"] > 0
            )
            entry = int(elf["e_entry"])
    except ELFError as error:
        raise ImageError(f"{path}: malformed ELF: {error}") from None
    if not segments:
        raise ImageError(f"{path}: ELF has no loadable segments")
    return Image(path, entry, segments)


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
