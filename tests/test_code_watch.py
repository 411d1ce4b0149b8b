"""A debugger's watches on a core: stops before watched instructions, counts kept exact."""

from __future__ import annotations

import functools

import pytest

from rthv.board.cpu_exit import ExitKind
from rthv.board.registers import Reg
from support import assemble, core_with_code

CODE = 0x8000_0000


@functools.cache
def _code(source: str, thumb: bool = False, base: int = CODE) -> bytes:
    return assemble(source, thumb=thumb, base=base)


COUNTERS = [pytest.param(True, id="native"), pytest.param(False, id="python")]


LOOP = """
    mov r0, #0
1:  add r0, r0, #1
    add r1, r0, #2
    cmp r0, #3
    bne 1b
    wfi
"""


@pytest.mark.parametrize("native", COUNTERS)
def test_a_watched_instruction_stops_the_core_before_it_with_an_exact_count(native: bool) -> None:
    """Mid-block, before the watched ADD: one loop turn retires 4 more; the run resumes past it."""
    core = core_with_code(_code(LOOP), native=native)
    unwatch = core.watch_code(CODE + 8, CODE + 8)
    stops = []
    for _ in range(3):
        exit = core.run(budget=1_000)
        stops.append((exit.kind, exit.pc, core.counter.executed, core.regs[Reg.R0]))
    assert stops == [(ExitKind.WATCHED, CODE + 8, 2, 1)] + [
        (ExitKind.WATCHED, CODE + 8, 2 + 4 * turn, 1 + turn) for turn in (1, 2)
    ]
    unwatch()
    exit = core.run(budget=1_000)
    assert (exit.kind, core.counter.executed, core.regs[Reg.R0]) == (ExitKind.WFI, 14, 3)


def test_watching_everything_steps_one_instruction_at_a_time() -> None:
    """A watch over the whole space stops before each next instruction."""
    core = core_with_code(_code(LOOP))
    core.watch_code(0, 0xFFFFFFFF)
    pcs = [core.run(budget=1_000).pc for _ in range(5)]
    assert pcs == [CODE + 4, CODE + 8, CODE + 12, CODE + 16, CODE + 4]
    assert core.counter.executed == 5
