"""The CPU core: why ``run`` returns, on real assembled code, and how devices see its accesses."""

from __future__ import annotations

import functools

import pytest

from rthv.board.cpu import TRANSLATION_BUFFER_BYTES, CpuCore
from rthv.board.cpu_exit import CpuExit, ExitKind
from rthv.board.decode import CoprocessorAccess
from rthv.board.memory import RamRegion
from rthv.board.registers import Reg
from support import assemble, core_with_code

CODE = 0x8000_0000
NOWHERE = 0x3000_0000  # nothing is mapped here
DEVICE = 0x4000_0000
ROM = 0x9000_0000
COUNTERS = [pytest.param(True, id="native"), pytest.param(False, id="python")]


@functools.cache
def _code(source: str, thumb: bool = False, base: int = CODE) -> bytes:
    return assemble(source, thumb=thumb, base=base)


def _run(source: str, *, thumb: bool = False) -> tuple[CpuCore, CpuExit]:
    """A core running ``source`` from CODE until its first exit."""
    core = core_with_code(_code(source, thumb), thumb=thumb)
    return core, core.run(budget=1_000)


# -- exits ---------------------------------------------------------------------------------------


def test_udf_is_undefined_at_its_address_and_does_not_retire() -> None:
    """UDF reports UNDEFINED at the UDF; only the MOV before it has executed."""
    core, exit = _run("mov r0, #1\nudf #0\nwfi")
    assert (exit.kind, exit.pc, exit.thumb) == (ExitKind.UNDEFINED, CODE + 4, False)
    assert core.counter.executed == 1
    assert core.regs.pc == CODE + 4


@pytest.mark.parametrize(
    ("thumb", "source", "imm", "pc"),
    [
        (False, "mov r0, #1\nhvc #0x1234\nwfi", 0x1234, CODE + 4),
        (True, "movs r0, #1\nhvc #0xabc\nwfi", 0xABC, CODE + 2),
    ],
    ids=["arm", "thumb"],
)
def test_hvc_exits_with_its_decoded_immediate(thumb: bool, source: str, imm: int, pc: int) -> None:
    """HVC in A32 and T32: an HVC exit at the HVC with its imm16, the HVC not yet retired."""
    core, exit = _run(source, thumb=thumb)
    assert (exit.kind, exit.pc, exit.thumb, exit.hvc_imm) == (ExitKind.HVC, pc, thumb, imm)
    assert core.counter.executed == 1


def test_wfi_exits_at_the_next_instruction() -> None:
    """WFI has executed: the exit's PC is the instruction after it."""
    core, exit = _run("mov r0, #1\nmov r1, #2\nwfi\nmov r2, #3")
    assert (exit.kind, exit.pc) == (ExitKind.WFI, CODE + 12)
    assert core.counter.executed == 3
    assert core.regs[Reg.R2] == 0


@pytest.mark.parametrize(
    ("line", "access"),
    [
        (
            "mrrc p15, 0, r0, r1, c14",  # CNTPCT
            CoprocessorAccess(15, 0, 0, 14, 0, rt=0, rt2=1, is64=True, read=True),
        ),
        (
            "mrc p15, 0, r2, c14, c2, 1",  # CNTP_CTL
            CoprocessorAccess(15, 0, 14, 2, 1, rt=2, rt2=0, is64=False, read=True),
        ),
        (
            "mcr p15, 0, r3, c14, c2, 0",  # CNTP_TVAL
            CoprocessorAccess(15, 0, 14, 2, 0, rt=3, rt2=0, is64=False, read=False),
        ),
    ],
    ids=["mrrc-cntpct", "mrc-cntp-ctl", "mcr-cntp-tval"],
)
def test_a_trapped_timer_access_exits_with_the_decoded_access(
    line: str, access: CoprocessorAccess
) -> None:
    """Physical-timer accesses trap (CNTHCTL = 0): a COPROCESSOR exit carrying the access."""
    core, exit = _run(f"mov r0, #1\n{line}\nwfi")
    assert (exit.kind, exit.pc, exit.coprocessor) == (ExitKind.COPROCESSOR, CODE + 4, access)
    assert core.counter.executed == 1


@pytest.mark.parametrize("native", COUNTERS)
def test_flush_code_runs_code_rewritten_behind_the_engines_back(native: bool) -> None:
    """New T32 code of the same block size: flush_code runs it and counts it afresh."""
    ram = RamRegion("ram", CODE, 0x1000)
    core = CpuCore("test", native_counter=native)
    core.map_ram(CODE, 0x1000, ram.host_pointer)
    core.regs[Reg.CPSR] = 0x1D3
    old = _code("movs r0, #1\nmovs r1, #1\nwfi", thumb=True)
    new = _code("mov.w r0, #2\nwfi", thumb=True)
    assert len(old) == len(new) == 6  # same block, three instructions then two
    ram.write(0, old)
    core.regs.branch(CODE, thumb=True)
    assert core.run(budget=1_000).kind is ExitKind.WFI
    assert core.counter.executed == 3
    ram.write(0, new)
    core.regs.branch(CODE, thumb=True)
    core.flush_code()
    assert core.run(budget=1_000).kind is ExitKind.WFI
    assert core.regs[Reg.R0] == 2
    assert core.counter.executed == 3 + 2


def test_the_translation_buffer_is_bounded() -> None:
    """Each engine's translated code lives in a fixed buffer, not Unicorn's default 1 GiB."""
    assert CpuCore("bounded").uc.ctl_get_tcg_buffer_size() == TRANSLATION_BUFFER_BYTES < 1 << 30
