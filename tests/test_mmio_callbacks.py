"""How a device window's accesses reach the model: at an offset, untimed or at an exact count."""

from __future__ import annotations

import functools

import pytest

from rthv.board.cpu import CpuCore
from rthv.board.cpu_exit import ExitKind
from rthv.board.registers import Reg
from support import InstructionTrace, assemble, core_with_code

CODE = 0x8000_0000


@functools.cache
def _code(source: str, thumb: bool = False, base: int = CODE) -> bytes:
    return assemble(source, thumb=thumb, base=base)


DEVICE = 0x4000_0000


class Recorder:
    """A device that logs each access with the core's retired count when it arrives."""

    def __init__(self, core: CpuCore) -> None:
        self.core = core
        self.log: list[tuple[str, int, int, int, int]] = []

    def read(self, offset: int, size: int) -> int:
        self.log.append(("read", offset, size, 0, self.core.retired()))
        return 0xA000 + offset

    def write(self, offset: int, size: int, value: int) -> None:
        self.log.append(("write", offset, size, value, self.core.retired()))


DEVICE_CODE = f"""
    b 1f
1:  ldr r3, ={DEVICE:#x}
    mov r0, #7
    ldr r4, [r3, #0x8]
    strb r0, [r3, #0x5]
    mov r1, #1
    ldrh r5, [r3, #0x2]
    wfi
"""
# Instructions retired before each access: B, LDR, MOV | LDR; then | STRB; then MOV | LDRH.
READ_AT, WRITE_AT, HALF_AT = 3, 4, 6


def _device_core(*, timed: bool) -> tuple[CpuCore, Recorder]:
    core = core_with_code(_code(DEVICE_CODE))
    device = Recorder(core)
    core.map_device(DEVICE, 0x1000, device, offset=0x200, timed=timed)
    return core, device


def test_a_device_window_routes_accesses_at_offset_onwards() -> None:
    """Accesses reach the device at ``offset`` + their offset in the window, with their width."""
    core, device = _device_core(timed=False)
    assert core.run(budget=1_000).kind is ExitKind.WFI
    assert [entry[:4] for entry in device.log] == [
        ("read", 0x208, 4, 0),
        ("write", 0x205, 1, 7),
        ("read", 0x202, 2, 0),
    ]
    assert core.regs[Reg.R4] == 0xA208
    assert core.regs[Reg.R5] == 0xA202
    assert core.counter.executed == 8


class _Broken:
    """A device model with a bug: every access raises."""

    def read(self, offset: int, size: int) -> int:
        raise ValueError(f"read at {offset:#x}")

    def write(self, offset: int, size: int, value: int) -> None:
        raise ValueError(f"write at {offset:#x}")


@pytest.mark.parametrize("timed", [False, True], ids=["untimed", "timed"])
def test_an_exception_in_a_device_comes_out_of_run_and_the_core_stops(timed: bool) -> None:
    """The model's own error is raised by ``run``, at the access, and nothing after it ran."""
    core = core_with_code(_code(DEVICE_CODE))
    core.map_device(DEVICE, 0x1000, _Broken(), offset=0x200, timed=timed)
    with pytest.raises(ValueError, match="read at 0x208"):
        core.run(budget=1_000)
    assert core.regs[Reg.R1] == 0  # the MOV after the first access never ran


def test_an_untimed_device_sees_the_count_at_the_start_of_the_block() -> None:
    """Inside an untimed callback ``retired()`` is the count at the block start: here 1 (B)."""
    core, device = _device_core(timed=False)
    core.run(budget=1_000)
    assert [entry[4] for entry in device.log] == [1, 1, 1]
    assert core.timed_accesses == 0


def test_a_timed_device_sees_each_access_once_at_its_exact_count() -> None:
    """The abandoned first attempt never reaches the device; the re-run sees the exact count."""
    core, device = _device_core(timed=True)
    assert core.run(budget=1_000).kind is ExitKind.WFI
    assert device.log == [
        ("read", 0x208, 4, 0, READ_AT),
        ("write", 0x205, 1, 7, WRITE_AT),
        ("read", 0x202, 2, 0, HALF_AT),
    ]
    assert (core.regs[Reg.R4], core.regs[Reg.R5]) == (0xA208, 0xA202)
    assert core.timed_accesses == 3
    assert core.counter.executed == 8


def test_timed_accesses_counts_the_instructions_run_twice() -> None:
    """A per-instruction hook sees every timed access twice: ``timed_accesses`` is the excess."""
    core, _ = _device_core(timed=True)
    trace = InstructionTrace(core.uc)
    core.run(budget=1_000)
    assert core.timed_accesses == 3
    assert trace.count == core.counter.executed + core.timed_accesses == 11
