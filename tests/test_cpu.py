"""The CPU core: why ``run`` returns, on real assembled code, and how devices see its accesses."""

from __future__ import annotations

import functools

import pytest

from rthv.board.cpu import TRANSLATION_BUFFER_BYTES, CpuCore, Perm
from rthv.board.cpu_exit import CpuExit, ExitKind
from rthv.board.decode import CoprocessorAccess
from rthv.board.memory import RamRegion
from rthv.board.registers import Reg
from support import InstructionTrace, assemble, core_with_code

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


# -- exits ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("thumb", "width"), [(False, 4), (True, 2)], ids=["arm", "thumb"])
def test_svc_exits_at_the_svc_which_has_retired(thumb: bool, width: int) -> None:
    """SVC reports its own address, and counts as executed (the call has happened)."""
    core, exit = _run("movs r0, #1\nsvc #5\nwfi", thumb=thumb)
    assert (exit.kind, exit.pc, exit.thumb) == (ExitKind.SVC, CODE + width, thumb)
    assert core.counter.executed == 2


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


# -- watched instructions (a debugger's breakpoints and steps) -------------------------------------

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


def test_the_translation_buffer_is_bounded() -> None:
    """Each engine's translated code lives in a fixed buffer, not Unicorn's default 1 GiB."""
    assert CpuCore("bounded").uc.ctl_get_tcg_buffer_size() == TRANSLATION_BUFFER_BYTES < 1 << 30
