"""The exits an engine's hooks report: SVC, aborts of unmapped and protected accesses."""

from __future__ import annotations

import functools

import pytest

from rthv.board.cpu import CpuCore, Perm
from rthv.board.cpu_exit import CpuExit, ExitKind
from rthv.board.memory import RamRegion
from rthv.board.registers import Reg
from support import assemble, core_with_code

CODE = 0x8000_0000


@functools.cache
def _code(source: str, thumb: bool = False, base: int = CODE) -> bytes:
    return assemble(source, thumb=thumb, base=base)


NOWHERE = 0x3000_0000  # nothing is mapped here
ROM = 0x9000_0000


def _run(source: str, *, thumb: bool = False) -> tuple[CpuCore, CpuExit]:
    """A core running ``source`` from CODE until its first exit."""
    core = core_with_code(_code(source, thumb), thumb=thumb)
    return core, core.run(budget=1_000)


@pytest.mark.parametrize(("thumb", "width"), [(False, 4), (True, 2)], ids=["arm", "thumb"])
def test_svc_exits_at_the_svc_which_has_retired(thumb: bool, width: int) -> None:
    """SVC reports its own address, and counts as executed (the call has happened)."""
    core, exit = _run("movs r0, #1\nsvc #5\nwfi", thumb=thumb)
    assert (exit.kind, exit.pc, exit.thumb) == (ExitKind.SVC, CODE + width, thumb)
    assert core.counter.executed == 2


def test_an_unmapped_read_is_a_data_abort_with_its_address_and_size() -> None:
    """LDR from nowhere: a data abort at the LDR, read of 4 bytes at the exact address."""
    core, exit = _run(f"ldr r3, ={NOWHERE:#x}\nldr r4, [r3, #8]\nwfi")
    assert exit == CpuExit(
        ExitKind.DATA_ABORT, CODE + 4, False, address=NOWHERE + 8, size=4, unmapped=True
    )
    assert core.counter.executed == 1


def test_an_unmapped_write_is_a_data_abort_with_the_value_written() -> None:
    """STRH to nowhere: a write of 2 bytes carrying the stored halfword."""
    core, exit = _run(f"ldr r3, ={NOWHERE:#x}\nldr r5, =0xcafef00d\nstrh r5, [r3, #6]\nwfi")
    assert exit == CpuExit(
        ExitKind.DATA_ABORT,
        CODE + 8,
        False,
        address=NOWHERE + 6,
        write=True,
        size=2,
        value=0xF00D,
        unmapped=True,
    )
    assert core.counter.executed == 2


def test_a_branch_to_nowhere_is_a_prefetch_abort_at_the_target() -> None:
    """BX to unmapped memory: the branch retires, the fetch at the target aborts."""
    core, exit = _run(f"ldr r3, ={NOWHERE:#x}\nbx r3\nwfi")
    assert (exit.kind, exit.pc, exit.address) == (ExitKind.PREFETCH_ABORT, NOWHERE, NOWHERE)
    assert (exit.unmapped, exit.permission, exit.write) == (True, False, False)
    assert core.counter.executed == 2


# -- mappings ------------------------------------------------------------------------------------


def test_a_write_to_read_only_ram_is_a_permission_exit_and_changes_nothing() -> None:
    """RAM mapped READ|EXEC reads the host buffer; a store to it exits, the buffer unchanged."""
    rom = RamRegion("rom", ROM, 0x1000)
    rom.write(0x10, (0x11223344).to_bytes(4, "little"))
    source = f"""
        ldr r3, ={ROM:#x}
        ldr r4, [r3, #0x10]
        ldr r5, =0xaabbccdd
        str r5, [r3, #0x20]
        wfi
    """
    core = core_with_code(_code(source))
    core.map_ram(ROM, 0x1000, rom.host_pointer, Perm.READ | Perm.EXEC)
    exit = core.run(budget=1_000)
    assert core.regs[Reg.R4] == 0x11223344
    assert exit == CpuExit(
        ExitKind.DATA_ABORT,
        CODE + 12,
        False,
        address=ROM + 0x20,
        write=True,
        size=4,
        value=0xAABBCCDD,
        permission=True,
    )
    assert rom.read(0x20, 4) == bytes(4)
    assert core.counter.executed == 3


def test_a_branch_into_non_executable_ram_is_a_prefetch_permission_exit() -> None:
    """RAM mapped READ|WRITE holds code that must not run: fetching it is a permission exit."""
    data = RamRegion("data", ROM, 0x1000)
    data.write(0, _code("mov r0, #1\nwfi", base=ROM))
    core = core_with_code(_code(f"ldr r3, ={ROM:#x}\nbx r3"))
    core.map_ram(ROM, 0x1000, data.host_pointer, Perm.READ | Perm.WRITE)
    exit = core.run(budget=1_000)
    assert (exit.kind, exit.pc, exit.address) == (ExitKind.PREFETCH_ABORT, ROM, ROM)
    assert (exit.unmapped, exit.permission) == (False, True)
    assert core.regs[Reg.R0] == 0
