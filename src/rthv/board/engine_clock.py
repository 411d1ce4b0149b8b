"""The engine's own clock, pointed at virtual time.

The engine derives its generic-timer counters (CNTPCT, CNTVCT, and from them TVAL and ISTATUS)
and its PMU cycle counter from ``clock_gettime(CLOCK_MONOTONIC)``, which it imports from the C
library through its procedure linkage table. rthv replaces that one imported address, in the
engine's global offset table, with ``virtual_clock_gettime`` of the native counter
(``_icount_clock.c``): while a core runs guest code, the engine's clock then reads that core's exact
virtual time; at any other moment, and for every other clock, it is the C library's function.
So a guest at PL1 or PL0 reads CNTVCT natively, at full speed, and gets virtual time.

The slot is found from the engine library's own dynamic relocations (``.rela.plt``); it must
lie outside the part made read-only after relocation (RELRO), and hold either the C library's
function or a stub of the engine's own PLT, else nothing is changed.

There is no other deterministic way to serve those counters, so when the slot cannot be
changed rthv refuses to run (``EngineClockError``, one line naming the cause and the remedy)
rather than let host time into a guest.
"""

from __future__ import annotations

import ctypes
import struct
import types
from pathlib import Path
from typing import Any, NamedTuple

import unicorn.unicorn_py3.unicorn as unicorn_binding

_icount: types.ModuleType | None
try:
    from rthv.board import _icount
except ImportError:  # pragma: no cover - exercised only where no C compiler was present
    _icount = None

_SYMBOL = "clock_gettime"
# The few ELF64 structures read here (the host library is a 64-bit little-endian ELF); the
# library is read with struct rather than an ELF library, as this runs at every start-up.
_ELF64_LE = b"\x7fELF\x02\x01"
_HEADER = struct.Struct("<32xQQ6xHHHHH")  # e_phoff, e_shoff; e_phentsize..e_shstrndx
_PROGRAM_HEADER = struct.Struct("<I4x8xQ8x8xQ")  # p_type, p_vaddr, p_memsz
_SECTION_HEADER = struct.Struct("<II8xQQQI")  # as _Section
_RELA = struct.Struct("<QQ8x")  # r_offset, r_info
_SYMBOL_ENTRY = struct.Struct("<I20x")  # st_name
_PT_GNU_RELRO = 0x6474E552
_SHT_RELA = 4
_SYMBOL_TABLES = (2, 11)  # SHT_SYMTAB, SHT_DYNSYM
_REMEDY = "rebuild with `make setup` (the engine must import clock_gettime through its PLT)"
_installed: str | None = None  # "" once installed, else why it cannot be


class _Section(NamedTuple):
    """The fields of an ELF section header read here."""

    name: int  # sh_name: offset in the section-name string table
    type: int
    address: int
    offset: int  # in the file
    size: int
    link: int


class EngineClockError(RuntimeError):
    """The engine's clock cannot be pointed at virtual time: guests would read host time."""


def install_engine_clock() -> None:
    """Point the engine's ``clock_gettime`` at virtual time (once), or raise EngineClockError."""
    global _installed
    if _installed is None:
        _installed = _install()
    if _installed:
        raise EngineClockError(
            f"the engine's clock cannot follow virtual time: {_installed}; guests reading the "
            f"generic timer would see host time, so nothing runs; {_REMEDY}"
        )


def _install() -> str:
    """Install the virtual clock; "" when done, else the cause that prevents it."""
    if _icount is None:
        return "rthv's native counter (rthv.board._icount) was not built"
    uclib: Any = unicorn_binding.uclib
    base = ctypes.c_void_p.from_address(uclib._handle).value or 0  # glibc: link_map.l_addr
    library = Path(uclib._name)
    found = _slot_offset(library)
    if isinstance(found, str):
        return f"{library.name}: {found}"
    offset, plt = found
    slot = ctypes.c_void_p.from_address(base + offset)
    ours = _icount.addresses()["clock_gettime"]
    # What the dynamic linker binds the import to: the C library's function, looked up in the
    # process's global scope (no search for the library's file, which would start a process).
    theirs = ctypes.cast(getattr(ctypes.CDLL(None), _SYMBOL), ctypes.c_void_p).value
    current = slot.value or 0
    in_plt = any(base + start <= current < base + end for start, end in plt)
    if current not in (ours, theirs) and not in_plt:
        return (
            f"{library.name}: its {_SYMBOL} slot holds {current:#x}, neither the C library's "
            f"function nor a stub of its own PLT"
        )
    slot.value = ours
    return ""


def _slot_offset(library: Path) -> tuple[int, list[tuple[int, int]]] | str:
    """Where the library's GOT slot for ``clock_gettime`` is, and its PLT address ranges (or
    why there is no slot to change)."""
    image = library.read_bytes()
    if not image.startswith(_ELF64_LE):
        return "not a 64-bit little-endian ELF file"
    phoff, shoff, phentsize, phnum, shentsize, shnum, shstrndx = _HEADER.unpack_from(image)
    relro = []
    for index in range(phnum):
        p_type, vaddr, memsz = _PROGRAM_HEADER.unpack_from(image, phoff + index * phentsize)
        if p_type == _PT_GNU_RELRO:
            relro.append((vaddr, vaddr + memsz))
    sections = [
        _Section._make(_SECTION_HEADER.unpack_from(image, shoff + index * shentsize))
        for index in range(shnum)
    ]
    names_at = sections[shstrndx].offset
    named = {_string(image, names_at + section.name): section for section in sections}
    plt = [(s.address, s.address + s.size) for name, s in named.items() if name.startswith(".plt")]
    relocations = named.get(".rela.plt")
    if relocations is None or relocations.type != _SHT_RELA:
        return "no .rela.plt section (no PLT imports to redirect)"
    symbols = sections[relocations.link]
    if symbols.type not in _SYMBOL_TABLES:
        return ".rela.plt names no symbol table"
    symbol_names_at = sections[symbols.link].offset
    table = image[relocations.offset : relocations.offset + relocations.size]
    for offset, info in _RELA.iter_unpack(table):
        entry = symbols.offset + (info >> 32) * _SYMBOL_ENTRY.size
        (name,) = _SYMBOL_ENTRY.unpack_from(image, entry)
        if _string(image, symbol_names_at + name) == _SYMBOL:
            if any(low <= offset < high for low, high in relro):
                return f"its {_SYMBOL} slot is read-only after relocation (full RELRO)"
            return offset, plt
    return f"it does not import {_SYMBOL} through its PLT"


def _string(image: bytes, at: int) -> str:
    """The NUL-terminated string at offset ``at``."""
    return image[at : image.index(b"\0", at)].decode()
