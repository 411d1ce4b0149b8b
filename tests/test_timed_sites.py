"""Timed access sites: after its first access, an instruction's device accesses need no stop."""

from __future__ import annotations

import functools
from collections.abc import Callable

import pytest

from rthv.board.cpu import CpuCore
from rthv.board.cpu_exit import ExitKind
from rthv.board.registers import Reg
from rthv.board.timed_sites import sites_available
from support import assemble, core_with_code

CODE = 0x8000_0000
DEVICE = 0x4000_0000

pytestmark = pytest.mark.skipif(not sites_available(), reason="native module not built")

# r2 = 5 rounds of: read the device (the site), then three plain instructions.
LOOP = """
    mov r1, #0x40000000
    mov r2, #5
1:  ldr r0, [r1, #8]
    add r3, r3, #1
    subs r2, r2, #1
    bne 1b
    wfi
"""
LOOP_READ_AT = [2, 6, 10, 14, 18]  # retired count when each read arrives: 2 + 4 per round


@functools.cache
def _code(source: str, thumb: bool = False) -> bytes:
    return assemble(source, thumb=thumb, base=CODE)


class Probe:
    """A timed device that logs the core's exact count at each access; may act on a write."""

    def __init__(self, core: CpuCore) -> None:
        self.core = core
        self.at: list[int] = []
        self.on_write: Callable[[], None] = lambda: None

    def read(self, offset: int, size: int) -> int:
        self.at.append(self.core.retired())
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        self.at.append(self.core.retired())
        self.on_write()


def _core(source: str, *, thumb: bool = False) -> tuple[CpuCore, Probe]:
    core = core_with_code(_code(source, thumb), thumb=thumb)
    probe = Probe(core)
    core.map_device(DEVICE, 0x1000, probe, timed=True)
    return core, probe


def test_a_loop_stops_only_for_the_first_access_of_its_instruction() -> None:
    """Five reads from one instruction: one abandoned attempt, every read at its exact count."""
    core, probe = _core(LOOP)
    assert core.run(budget=1_000).kind is ExitKind.WFI
    assert probe.at == LOOP_READ_AT
    assert core.timed_accesses == 1
    assert core.sites.state.count == 1
    assert core.counter.executed == 2 + 5 * 4 + 1  # and the WFI


def test_a_site_record_does_not_outlive_its_instruction() -> None:
    """A second device access later in the same block is not taken for the site: it stops too."""
    core, probe = _core(
        """
        mov r1, #0x40000000
        mov r2, #3
    1:  ldr r0, [r1]
        add r3, r3, #1
        add r3, r3, #1
        ldr r0, [r1, #4]
        subs r2, r2, #1
        bne 1b
        wfi
        """
    )
    assert core.run(budget=1_000).kind is ExitKind.WFI
    assert probe.at == [2, 5, 8, 11, 14, 17]
    assert core.sites.state.count == 2


def test_an_access_that_lowers_the_budget_stops_right_after_its_instruction() -> None:
    """A write that makes something due at once: the run ends before the next instruction."""
    core, probe = _core(
        """
        mov r1, #0x40000000
        mov r2, #3
    1:  str r2, [r1]
        add r3, r3, #1
        subs r2, r2, #1
        bne 1b
        wfi
        """
    )
    stops: list[int] = []

    def due_now() -> None:
        if len(probe.at) == 2:  # the second write (from the site) asks for a stop
            core.counter.state.budget = core.retired() + 1
            stops.append(core.retired() + 1)

    probe.on_write = due_now
    exit = core.run(budget=1_000)
    assert exit.kind is ExitKind.BUDGET
    assert core.counter.executed == stops[0] == 7
    assert core.regs.pc == CODE + 12  # the ADD after the STR
    assert core.regs[Reg.R3] == 1
