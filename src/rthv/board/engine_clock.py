"""The engine's own clock, pointed at virtual time.

The engine derives its generic-timer counters (CNTPCT, CNTVCT, and from them TVAL and ISTATUS)
and its PMU cycle counter from ``clock_gettime(CLOCK_MONOTONIC)``, which it imports from the C
library through its procedure linkage table. rthv replaces that one imported address, in the
engine's global offset table, with ``virtual_clock_gettime`` of the native counter
(``_icount.c``): while a core runs guest code, the engine's clock then reads that core's exact
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
import ctypes.util
import types
from pathlib import Path
from typing import Any

import unicorn.unicorn_py3.unicorn as unicorn_binding
from elftools.elf.elffile import ELFFile
from elftools.elf.relocation import RelocationSection
from elftools.elf.sections import SymbolTableSection

_icount: types.ModuleType | None
try:
    from rthv.board import _icount
except ImportError:  # pragma: no cover - exercised only where no C compiler was present
    _icount = None

_SYMBOL = "clock_gettime"
_PT_GNU_RELRO = "PT_GNU_RELRO"
_REMEDY = "rebuild with `make setup` (the engine must import clock_gettime through its PLT)"
_installed: str | None = None  # "" once installed, else why it cannot be


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
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    theirs = ctypes.cast(libc.clock_gettime, ctypes.c_void_p).value
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
    with library.open("rb") as stream:
        elf = ELFFile(stream)
        relro = [
            (int(s["p_vaddr"]), int(s["p_vaddr"]) + int(s["p_memsz"]))
            for s in elf.iter_segments()
            if s["p_type"] == _PT_GNU_RELRO
        ]
        plt = [
            (int(s["sh_addr"]), int(s["sh_addr"]) + int(s["sh_size"]))
            for s in elf.iter_sections()
            if s.name.startswith(".plt")
        ]
        relocations = elf.get_section_by_name(".rela.plt")
        if not isinstance(relocations, RelocationSection):
            return "no .rela.plt section (no PLT imports to redirect)"
        symbols = elf.get_section(relocations["sh_link"])
        if not isinstance(symbols, SymbolTableSection):
            return ".rela.plt names no symbol table"
        for relocation in relocations.iter_relocations():
            symbol = symbols.get_symbol(relocation["r_info_sym"])
            if symbol.name == _SYMBOL:
                offset = int(relocation["r_offset"])
                if any(start <= offset < end for start, end in relro):
                    return f"its {_SYMBOL} slot is read-only after relocation (full RELRO)"
                return offset, plt
    return f"it does not import {_SYMBOL} through its PLT"
