"""Exact PCs for the instructions that access timed devices, without stopping the engine.

A timed device must see the exact virtual time of each access, so the CPU needs the exact PC
of the accessing instruction; Unicorn only syncs it where a hook asks. The first access from an
instruction stops the engine (``CpuCore`` re-runs it alone, as before); the instruction then
becomes a *site*: a native code hook on it (and on the instruction after it) records when the
site is executing, and its later accesses are served in place, with an exact PC.

The record cannot outlive its instruction: the instruction after a site is hooked too (and
clears it), and a new block makes it stale. Unicorn runs every hook outside T32 IT blocks, and
a site is never inside one (Unicorn cannot stop an IT block midway, so no first attempt stops
there). Needs the native module (built with the package); without it, and beyond 64 sites per
engine, every access takes the stop-and-re-run path, which is exact too.

An access served in place that lowers the run's limits (a device event due sooner, an
interrupt to take at once) stops the engine before the next instruction, where the re-run path
would have ended its one-instruction block: the run loop sees the same boundaries either way.
"""

from __future__ import annotations

import ctypes
import types
from typing import Any, Final

import unicorn
import unicorn.unicorn_py3.unicorn as unicorn_binding

from rthv.board.icount_state import IcountState

_timed_sites: types.ModuleType | None
try:
    from rthv.board import _timed_sites
except ImportError:  # pragma: no cover - exercised only where no C compiler was present
    _timed_sites = None

_MAX_SITES: Final = 64
NO_SITE: Final = (1 << 64) - 1
FOLLOWER_SPAN: Final = 4  # the next instruction starts 2 or 4 bytes after a site: hook both


class TimedSiteState(ctypes.Structure):
    """Shared with the C hook; the field order must match ``struct timed_site_state``."""

    _fields_ = (
        ("exact_pc", ctypes.c_uint64),
        ("exact_block", ctypes.c_uint64),
        ("blocks", ctypes.c_void_p),
        ("emu_stop", ctypes.c_void_p),
        ("count", ctypes.c_uint32),
        ("stop_next", ctypes.c_uint32),
        ("stopped", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32),
        ("sites", ctypes.c_uint64 * _MAX_SITES),
    )


_uclib: Any = unicorn_binding.uclib


def sites_available() -> bool:
    """True when the native site hook was built with the package."""
    return _timed_sites is not None


class TimedSites:
    """The timed access sites of one engine, and whether one of them is executing now."""

    def __init__(self, uc: unicorn.Uc, counter: IcountState) -> None:
        self._uc = uc
        self._counter = counter
        self.state = TimedSiteState()
        self.state.exact_pc = NO_SITE
        self.state.blocks = ctypes.addressof(counter) + IcountState.blocks.offset
        self.state.emu_stop = ctypes.cast(_uclib.uc_emu_stop, ctypes.c_void_p).value
        self._known: set[int] = set()
        self._hooks: list[int] = []
        self._hook_address = 0
        if _timed_sites is not None:
            addresses = _timed_sites.addresses()
            if addresses["state_size"] != ctypes.sizeof(TimedSiteState):
                raise RuntimeError("native site layout does not match TimedSiteState")
            self._hook_address = addresses["site_hook"]

    @property
    def capacity(self) -> int:
        """How many sites can be made (0 without the native module)."""
        return _MAX_SITES if self._hook_address else 0

    def executing(self) -> int | None:
        """The site executing right now (its PC is exact), or None."""
        state = self.state
        if state.exact_pc == NO_SITE or state.exact_block != self._counter.blocks:
            return None
        return int(state.exact_pc)

    def stop_after_access(self) -> None:
        """Stop the engine right after the site executing now (its access changed the limits)."""
        self.state.stop_next = 1

    def take_stop(self) -> bool:
        """Whether the hook stopped the engine after a site; forgets a stop not yet made."""
        state = self.state
        stopped = bool(state.stopped)
        state.stopped = state.stop_next = 0
        return stopped

    def add(self, pc: int) -> bool:
        """Make the instruction at ``pc`` a site; False if it cannot be one (full, no module).

        Translated code covering it must be dropped by the caller so the hook takes effect.
        """
        if pc in self._known:
            return True
        if len(self._known) >= self.capacity:
            return False
        state = self.state
        state.sites[state.count] = pc
        state.count += 1
        self._known.add(pc)
        handle = ctypes.c_size_t()
        status = _uclib.uc_hook_add(
            self._uc._uch,
            ctypes.byref(handle),
            unicorn.UC_HOOK_CODE,
            ctypes.c_void_p(self._hook_address),
            ctypes.cast(ctypes.pointer(state), ctypes.c_void_p),
            ctypes.c_uint64(pc),
            ctypes.c_uint64(pc + FOLLOWER_SPAN),
        )
        if status != 0:
            raise unicorn.UcError(status)
        self._hooks.append(handle.value)
        return True

    def close(self) -> None:
        """Remove the hooks from the engine."""
        for handle in self._hooks:
            _uclib.uc_hook_del(self._uc._uch, ctypes.c_size_t(handle))
        self._hooks.clear()
