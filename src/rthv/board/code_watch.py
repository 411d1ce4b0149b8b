"""A debugger's breakpoints and single steps on one core, without writing into guest memory.

A watch is an engine code hook over an address range: before a watched instruction executes,
the core's run ends with a WATCHED exit, except at the instruction it stopped at last (so a run
resumes past it, as a debugger's continue or step does). The count of retired instructions
stays exact, so timing is not changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import unicorn
from unicorn.unicorn_py3.unicorn import Uc

from rthv.board.cpu_exit import CpuExit, ExitKind

if TYPE_CHECKING:
    from rthv.board.cpu import CpuCore


class CodeWatch:
    """The watched ranges of one core, and the instruction a resumed run executes unwatched."""

    def __init__(self, core: CpuCore) -> None:
        self._core = core
        self._resume_at = (-1, -1)  # (pc, retired): a watch lets this instruction execute

    def watch(self, begin: int, end: int) -> Callable[[], None]:
        """Stop before any instruction in [begin, end] but the next one; returns the unwatch."""
        core = self._core
        handle = core.uc.hook_add(unicorn.UC_HOOK_CODE, self._on_watched, begin=begin, end=end)
        core.flush_code()  # code translated before the hook was added would not call it
        self._resume_at = (core.regs.pc, core.counter.executed)

        def unwatch() -> None:
            core.uc.hook_del(handle)
            core.flush_code()

        return unwatch

    def _on_watched(self, uc: Uc, address: int, _size: int, _data: object) -> None:
        core = self._core
        retired = core.counter.retired_before(address)
        if (address, retired) == self._resume_at:
            return
        self._resume_at = (address, retired)  # resuming from this stop executes it
        core.counter.rewind_to(address)
        core.stop_with(CpuExit(ExitKind.WATCHED, address, core.regs.thumb))
