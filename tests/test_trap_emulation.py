"""Trapped generic-timer accesses carried out on a real engine, and skipping the instruction."""

from __future__ import annotations

import functools
import subprocess
import tempfile
from pathlib import Path

import pytest
from unicorn import arm_const
from unicorn.unicorn_const import UC_ARCH_ARM, UC_MODE_ARM
from unicorn.unicorn_py3 import Uc

from rthv.board.clock import VirtualClock
from rthv.board.cpu_exit import CpuExit, ExitKind
from rthv.board.decode import CoprocessorAccess, decode_coprocessor, fetch_word
from rthv.board.events import EventQueue
from rthv.board.generic_timer import CTL_ENABLE, CTL_ISTATUS, GenericTimer, GenericTimerRegister
from rthv.board.registers import CPSR_T, Mode, Reg, Registers
from rthv.board.trap_emulation import emulate_coprocessor, skip_instruction

R = GenericTimerRegister
CODE = 0x8000_0000
TICK = 16  # CPU cycles per counter tick: 1 GHz CPU, 62.5 MHz counter


@functools.cache
def _encode(line: str, thumb: bool = False) -> bytes:
    """Machine code of one instruction, assembled by arm-none-eabi-as."""
    with tempfile.TemporaryDirectory() as scratch:
        source, obj, raw = (Path(scratch) / name for name in ("i.s", "i.o", "i.bin"))
        state = ".thumb" if thumb else ".arm"
        source.write_text(f".syntax unified\n.arch armv7ve\n{state}\n{line}\n")
        subprocess.run(["arm-none-eabi-as", str(source), "-o", str(obj)], check=True)
        subprocess.run(
            ["arm-none-eabi-objcopy", "-O", "binary", "-j", ".text", str(obj), str(raw)],
            check=True,
        )
        return raw.read_bytes()


def _access(line: str) -> CoprocessorAccess:
    """The decoded coprocessor access of an ARM instruction."""
    access = decode_coprocessor(fetch_word(_encode(line), thumb=False), thumb=False)
    assert access is not None
    return access


class Board:
    """A Cortex-A15 engine with a page of RAM, and a generic timer on a 1 GHz virtual clock."""

    def __init__(self) -> None:
        self.uc = Uc(UC_ARCH_ARM, UC_MODE_ARM)
        self.uc.ctl_set_cpu_model(arm_const.UC_CPU_ARM_CORTEX_A15)
        self.uc.mem_map(CODE, 0x1000)
        self.regs = Registers(self.uc)
        self.regs[Reg.CPSR] = Mode.SVC
        self.clock = VirtualClock()
        self.timer = GenericTimer(self.clock, EventQueue())

    def emulate(self, line: str) -> bool:
        return emulate_coprocessor(self.regs, _access(line), self.timer)


@pytest.fixture
def board() -> Board:
    return Board()


def test_mrrc_cntpct_splits_the_count_into_rt_and_rt2(board: Board) -> None:
    """CNTPCT = 2**32 + 5 reads as r0 = 5 (low word), r1 = 1 (high word)."""
    board.clock.advance_to(TICK * (2**32 + 5))
    board.regs[Reg.R0] = board.regs[Reg.R1] = 0xDEAD
    assert board.emulate("mrrc p15, 0, r0, r1, c14")
    assert (board.regs[Reg.R0], board.regs[Reg.R1]) == (5, 1)


def test_mrrc_cntvct_subtracts_cntvoff(board: Board) -> None:
    """CNTVCT into r12/lr is CNTPCT minus CNTVOFF, split into low and high words."""
    board.clock.advance_to(TICK * 0x3_0000_0010)
    board.timer.write_register(R.CNTVOFF, 0x1_0000_0004)
    assert board.emulate("mrrc p15, 1, r12, lr, c14")
    assert (board.regs[Reg.R12], board.regs[Reg.LR]) == (0xC, 2)


def test_mcr_tval_then_mrc_ctl_sees_the_deadline(board: Board) -> None:
    """TVAL=1000 and ENABLE via MCR; MRC CNTP_CTL shows ISTATUS from tick 1000 on."""
    board.regs[Reg.R3] = 1000
    assert board.emulate("mcr p15, 0, r3, c14, c2, 0")  # CNTP_TVAL
    board.regs[Reg.R4] = CTL_ENABLE
    assert board.emulate("mcr p15, 0, r4, c14, c2, 1")  # CNTP_CTL
    assert board.emulate("mrc p15, 0, r2, c14, c2, 1")
    assert board.regs[Reg.R2] == CTL_ENABLE
    assert board.timer.read_register(R.CNTP_CVAL) == 1000
    board.clock.advance_to(TICK * 1000 - 1)
    assert board.emulate("mrc p15, 0, r2, c14, c2, 1")
    assert board.regs[Reg.R2] == CTL_ENABLE
    board.clock.advance_to(TICK * 1000)
    assert board.emulate("mrc p15, 0, r2, c14, c2, 1")
    assert board.regs[Reg.R2] == CTL_ENABLE | CTL_ISTATUS
    assert board.timer.phys_irq.level


def test_negative_tval_round_trips_as_twos_complement(board: Board) -> None:
    """Writing r3 = -16 sets CVAL 16 ticks in the past; MRC TVAL reads 0xFFFFFFF0 back."""
    board.clock.advance_to(TICK * 100)
    board.regs[Reg.R3] = -16
    assert board.emulate("mcr p15, 0, r3, c14, c2, 0")
    assert board.timer.read_register(R.CNTP_CVAL) == 84
    assert board.emulate("mrc p15, 0, r5, c14, c2, 0")
    assert board.regs[Reg.R5] == 0xFFFF_FFF0


def test_mcrr_cval_combines_rt_low_and_rt2_high(board: Board) -> None:
    """MCRR CNTP_CVAL with r4 low and r5 high sets the 64-bit CVAL; MRRC reads it back."""
    board.regs[Reg.R4] = 0x8765_4321
    board.regs[Reg.R5] = 0x0000_00AB
    assert board.emulate("mcrr p15, 2, r4, r5, c14")
    assert board.timer.read_register(R.CNTP_CVAL) == 0xAB_8765_4321
    assert board.emulate("mrrc p15, 2, r6, r7, c14")
    assert (board.regs[Reg.R6], board.regs[Reg.R7]) == (0x8765_4321, 0xAB)


def test_virtual_timer_registers_are_separate(board: Board) -> None:
    """CNTV_CTL (c14, c3, 1) is the virtual timer's, leaving the physical one alone."""
    board.regs[Reg.R0] = CTL_ENABLE
    assert board.emulate("mcr p15, 0, r0, c14, c3, 1")
    assert board.timer.read_register(R.CNTV_CTL) & CTL_ENABLE
    assert board.timer.read_register(R.CNTP_CTL) == 0


def test_mcrr_to_the_counter_is_accepted_and_ignored(board: Board) -> None:
    """The counter is read-only: a write is emulated (no UNDEF) and changes nothing."""
    board.clock.advance_to(TICK * 7)
    board.regs[Reg.R0] = 12345
    assert board.emulate("mcrr p15, 0, r0, r1, c14")
    assert board.timer.read_register(R.CNTPCT) == 7


@pytest.mark.parametrize(
    "line",
    [
        "mrc p15, 0, r0, c1, c0, 0",  # SCTLR
        "mrc p15, 4, r0, c14, c1, 0",  # CNTHCTL: c14 but not a PL1 timer register
        "mrc p14, 0, r0, c0, c0, 0",  # DBGDIDR (cp14)
        "mrrc p15, 0, r0, r1, c2",  # TTBR0 (64-bit)
        "mrc p15, 0, r0, c14, c2, 2",  # c14, c2 with an unallocated opc2
    ],
)
def test_non_timer_access_is_left_to_the_caller(board: Board, line: str) -> None:
    """Any other coprocessor access returns False and touches no register."""
    board.regs[Reg.R0] = board.regs[Reg.R1] = 0x5A5A
    assert not board.emulate(line)
    assert (board.regs[Reg.R0], board.regs[Reg.R1]) == (0x5A5A, 0x5A5A)


def test_skip_instruction_advances_4_in_arm(board: Board) -> None:
    """An ARM instruction is always 4 bytes."""
    board.uc.mem_write(CODE, _encode("mrrc p15, 0, r0, r1, c14"))
    skip_instruction(board.regs, CpuExit(ExitKind.COPROCESSOR, CODE, thumb=False))
    assert board.regs.pc == CODE + 4


@pytest.mark.parametrize(
    ("line", "length"),
    [
        ("mrrc p15, 0, r0, r1, c14", 4),  # EC51 0F0E: 0b11101 prefix
        ("mrc p15, 0, r2, c14, c2, 1", 4),
        ("ldr.w r0, [r1]", 4),  # 0b11111 prefix
        ("movs r0, #1", 2),
        ("strh r1, [r0]", 2),
    ],
)
def test_skip_instruction_in_thumb_reads_the_length(board: Board, line: str, length: int) -> None:
    """In Thumb the first halfword at the PC decides between 2 and 4 bytes."""
    code = _encode(line, thumb=True)
    assert len(code) == length
    board.uc.mem_write(CODE + 0x10, code + _encode("nop", thumb=True) * 2)
    board.regs[Reg.CPSR] = Mode.SVC | CPSR_T
    skip_instruction(board.regs, CpuExit(ExitKind.COPROCESSOR, CODE + 0x10, thumb=True))
    assert board.regs.pc == CODE + 0x10 + length


def test_skip_instruction_keeps_thumb_state(board: Board) -> None:
    """After skipping a trapped T32 MRRC the guest still executes Thumb code."""
    code = _encode("mrrc p15, 0, r0, r1, c14", thumb=True) + _encode("movs r0, #7", thumb=True)
    board.uc.mem_write(CODE, code)
    board.regs[Reg.CPSR] = Mode.SVC | CPSR_T
    skip_instruction(board.regs, CpuExit(ExitKind.COPROCESSOR, CODE, thumb=True))
    assert board.regs.pc == CODE + 4
    assert board.regs.thumb
    # Resume as the CPU core does (PC with bit 0 = CPSR.T) for one instruction.
    board.uc.emu_start(board.regs.pc | (1 if board.regs.thumb else 0), 0, count=1)
    assert (board.regs[Reg.R0], board.regs.pc) == (7, CODE + 6)
