"""Timing profiles: class weights, fractional CPI, device access cycles, exact and slice-proof."""

from __future__ import annotations

import ctypes
import random
from fractions import Fraction
from pathlib import Path

import pytest

from rthv.board import _icount
from rthv.board.description import load_board
from rthv.board.icount_state import IcountState
from rthv.board.machine import Machine
from rthv.board.registers import SCTLR, SysReg
from rthv.board.run_result import StopCause
from rthv.board.timing import (
    CORTEX_A7,
    CORTEX_A15,
    DEVICE_CYCLES,
    INSTRUCTION_COUNT,
    PROFILES,
    InsnClass,
    TimingError,
    TimingProfile,
    arm_units,
    classify_arm,
    profile,
)
from rthv.tools.bare import run_bare
from support import assemble, guest_image

C = InsnClass

# Every class, assembled by the GNU assembler, with its register count for LDM/STM.
CLASSES = [
    ("add r0, r1, r2", C.OTHER, 0),
    ("b .+8", C.OTHER, 0),
    ("bx lr", C.OTHER, 0),
    ("mrs r0, cpsr", C.OTHER, 0),
    ("ldr r0, [r1, #4]", C.LOAD, 0),
    ("ldrb r0, [r1], #1", C.LOAD, 0),
    ("ldrh r0, [r1]", C.LOAD, 0),
    ("ldrd r2, r3, [r1]", C.LOAD, 0),
    ("ldrex r0, [r1]", C.LOAD, 0),
    ("str r0, [r1, #-8]!", C.STORE, 0),
    ("strh r0, [r1]", C.STORE, 0),
    ("strd r2, r3, [r1]", C.STORE, 0),
    ("strex r2, r0, [r1]", C.STORE, 0),
    ("ldm r1, {r2-r5}", C.LOAD_MULTIPLE, 4),
    ("pop {r4, pc}", C.LOAD_MULTIPLE, 2),
    ("push {r4-r11, lr}", C.STORE_MULTIPLE, 9),
    ("mul r0, r1, r2", C.MULTIPLY, 0),
    ("umull r0, r1, r2, r3", C.MULTIPLY, 0),
    ("smulbb r0, r1, r2", C.MULTIPLY, 0),
    ("sdiv r0, r1, r2", C.DIVIDE, 0),
    ("udiv r0, r1, r2", C.DIVIDE, 0),
    ("mrc p15, 0, r0, c1, c0, 0", C.SYSTEM, 0),
    ("mcr p15, 0, r0, c7, c5, 0", C.SYSTEM, 0),
    ("mrrc p15, 0, r0, r1, c2", C.SYSTEM, 0),
    ("dmb sy", C.BARRIER, 0),
    ("dsb sy", C.BARRIER, 0),
    ("isb", C.BARRIER, 0),
    ("svc #0", C.EXCEPTION, 0),
    ("hvc #0", C.EXCEPTION, 0),
    ("eret", C.EXCEPTION, 0),
    ("subs pc, lr, #4", C.EXCEPTION, 0),
    ("movs pc, lr", C.EXCEPTION, 0),
    ("ldm sp!, {r0-r3, pc}^", C.EXCEPTION, 0),
    ("rfeia sp!", C.EXCEPTION, 0),
]


@pytest.fixture(scope="module")
def class_words() -> list[int]:
    code = assemble(
        ".arch_extension virt\n.arch_extension idiv\n" + "\n".join(c[0] for c in CLASSES)
    )
    return [int.from_bytes(code[i : i + 4], "little") for i in range(0, len(code), 4)]


def test_each_a32_instruction_falls_in_its_class(class_words: list[int]) -> None:
    """Loads, stores, LDM/STM (with their register count), multiply, divide, CP15, barriers,
    exception entry and return are told apart; everything else is ``other``."""
    assert len(class_words) == len(CLASSES)
    for word, (text, cls, registers) in zip(class_words, CLASSES, strict=True):
        assert classify_arm(word) == (cls, registers), text


def _native_units(code: bytes, weights: tuple[int, ...], uncached: bool) -> int:
    state = IcountState()
    for index, value in enumerate(weights):
        state.weights[index] = value
    function = ctypes.CFUNCTYPE(
        ctypes.c_uint64, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint32, ctypes.c_int
    )(_icount.addresses()["arm_units"])
    return int(function(ctypes.addressof(state), code, len(code), int(uncached)))


def test_the_native_hook_weighs_code_as_the_python_fallback(class_words: list[int]) -> None:
    """The C classifier and the Python one agree on every class and on 20,000 random words."""
    weights: tuple[int, ...] = (
        1,
        10,
        100,
        1_000,
        10_000,
        100_000,
        1_000_000,
        10**7,
        10**8,
        10**9,
        3,
    )
    weights += (123_456_789, 987_654_321)  # uncached extras per register loaded, stored
    weights += (0,) * (16 - len(weights))
    rng = random.Random(12)
    words = class_words + [rng.getrandbits(32) for _ in range(20_000)]
    for word in words:
        code = word.to_bytes(4, "little")
        for uncached in (False, True):
            native = _native_units(code, weights, uncached)
            assert native == arm_units(code, weights, uncached), hex(word)


# One block of each class; the hand-computed sums below are the profile's weights added up.
SEQUENCE = """
    movw r1, #0x100
    movt r1, #0x8000
    ldr r2, [r1]
    str r2, [r1, #4]
    ldm r1, {r3-r6}
    stm r1, {r3-r5}
    mul r7, r2, r3
    udiv r8, r2, r3
    mrc p15, 0, r9, c0, c0, 0
    dmb sy
    wfi
    b .
"""
# other x3 (movw, movt, wfi), load, store, LDM of 4, STM of 3, mul, div, system, barrier
HAND_SUMS = {
    "instruction-count": 11,
    "cortex-a7": 3 * 1 + 3 + 1 + (3 + 3 * 1) + (1 + 2 * 1) + 4 + 6 + 1 + 8,
    "cortex-a15": 3 * 1 + 4 + 2 + (4 + 3 * 1) + (2 + 2 * 1) + 3 + 12 + 3 + 13,
}
# With the MMU off, data accesses are uncached: 5 registers loaded, 4 stored.
UNCACHED = {"instruction-count": 0, "cortex-a7": 5 * 100 + 4 * 50, "cortex-a15": 5 * 100 + 4 * 50}


def _run_code(
    source: str, timing: TimingProfile, native: bool, *, cached: bool = False
) -> tuple[int, int]:
    machine = Machine(load_board("vexpress-a15"), timing=timing, native_counter=native)
    code = assemble(".arch_extension idiv\n" + source)
    ram = machine.memory.ram[0]
    ram.write(0, code)
    machine.reset(0x80000000)
    if cached:  # identity-mapped 1 MiB sections, Normal write-back memory; MMU and caches on
        table = 0x80100000
        ram.write(
            table - ram.base,
            b"".join(((i << 20) | 0xC0E).to_bytes(4, "little") for i in range(4096)),
        )
        regs = machine.core.regs
        regs.set_sys(SysReg("TTBR0", 2, 0, 0, 0), table)
        regs.set_sys(SysReg("DACR", 3, 0, 0, 0), 0xFFFFFFFF)
        regs.set_sys(SCTLR, regs.sys(SCTLR) | 0b101)  # M, C
    result = machine.run(10_000)
    assert result.cause is StopCause.IDLE
    return result.cycles, result.instructions


@pytest.mark.parametrize("native", [True, False], ids=["native", "python"])
@pytest.mark.parametrize("name", list(PROFILES))
def test_a_block_costs_the_hand_computed_sum_of_its_weights(name: str, native: bool) -> None:
    """Eleven instructions, one per class, cost exactly the sum of the profile's weights, plus
    the uncached extra of each register loaded or stored while the MMU is off."""
    timing = PROFILES[name]
    assert _run_code(SEQUENCE, timing, native) == (HAND_SUMS[name] + UNCACHED[name], 11)
    assert _run_code(SEQUENCE, timing, native, cached=True) == (HAND_SUMS[name], 11)


DEVICES = """
    movw r1, #0x0000
    movt r1, #0x1c09
    ldr r2, [r1, #0x18]
    str r2, [r1, #0x38]
    movw r3, #0x1000
    movt r3, #0x2c00
    ldr r4, [r3]
    wfi
"""


@pytest.mark.parametrize("name", list(PROFILES))
def test_a_device_access_adds_its_cycles(name: str) -> None:
    """A UART read and write and a GIC distributor read each add their window's cycles."""
    timing = PROFILES[name]
    uart, gic = timing.device_cost("uart0", "pl011"), timing.device_cost("gicd", "gic")
    weights = timing.scaled()
    instructions = 5 * weights["other"] + 2 * weights["load"] + weights["store"]
    instructions += 2 * weights["uncached_load"] + weights["uncached_store"]  # the MMU is off
    cycles, count = _run_code(DEVICES, timing, True)
    assert count == 8
    assert cycles == instructions + uart.read + uart.write + gic.read
    if name != "instruction-count":
        assert cycles - instructions == 150 + 40 + 100  # DEVICE_CYCLES
        assert DEVICE_CYCLES["gic"].read == 100


def test_fractional_cpi_is_exact() -> None:
    """At CPI 1.5, eleven instructions take 16.5 cycles: 16 whole cycles elapse."""
    timing = INSTRUCTION_COUNT.with_overrides(cpi="3/2")
    assert timing.units_per_cycle == 2 and timing.uniform
    assert _run_code(SEQUENCE, timing, True) == (16, 11)
    assert _run_code(SEQUENCE, CORTEX_A7.with_overrides(cpi=2), True)[0] == 2 * (
        HAND_SUMS["cortex-a7"] + UNCACHED["cortex-a7"]
    )


def test_profiles_units_and_overrides() -> None:
    """Weights are exact fractions; overrides replace by name; bad input names the key."""
    half = CORTEX_A15.with_overrides(weights={"load": "4.5"})
    assert half.units_per_cycle == 2 and half.unit_weights()[C.LOAD] == 9
    assert not CORTEX_A7.uniform and INSTRUCTION_COUNT.uniform
    assert CORTEX_A7.weights["divide"] == Fraction(6)
    assert profile("cortex-a7", cpi=1.5).cpi == Fraction(3, 2)
    with pytest.raises(TimingError, match=r"^unknown timing profile 'cortex-m0'"):
        profile("cortex-m0")
    with pytest.raises(TimingError, match=r"^coffee: unknown weight"):
        CORTEX_A7.with_overrides(weights={"coffee": 1})
    with pytest.raises(TimingError, match=r"^load: must be a positive number"):
        CORTEX_A7.with_overrides(weights={"load": 0})
    with pytest.raises(TimingError, match=r"^cpi: must be a number of cycles"):
        CORTEX_A7.with_overrides(cpi="fast")
    assert INSTRUCTION_COUNT.device_cost("uart0", "pl011").read == 0


def test_a_profile_the_native_counter_cannot_hold_is_refused() -> None:
    """The counter keeps a cycle's units in 64 bits and an instruction's in 32, which ctypes
    would wrap silently (a time unit of 2**64 became 0, and the engine's clock host time)."""
    with pytest.raises(TimingError, match="64 bits"):
        INSTRUCTION_COUNT.with_overrides(cpi=Fraction(1, 1 << 64))
    with pytest.raises(TimingError, match="32 bits"):
        INSTRUCTION_COUNT.with_overrides(cpi=1 << 32)
    largest = INSTRUCTION_COUNT.with_overrides(cpi=(1 << 32) - 1)
    assert largest.unit_weights()[0] == (1 << 32) - 1


@pytest.mark.parametrize("name", list(PROFILES))
def test_three_slice_sizes_give_identical_runs(name: str) -> None:
    """The RTOS ping-pong (timer IRQs, UART, GIC) ends identically however it is sliced."""
    runs = []
    for max_slice in (None, 997, 10_007):
        run = run_bare(
            guest_image("rtos-pingpong-local"),
            timing=PROFILES[name],
            max_slice=max_slice,
            until_ns=Fraction(60_000_000),
        )
        runs.append((run.result.cycles, run.result.instructions, run.output))
    assert runs[0] == runs[1] == runs[2]
    assert "pingpong: PASS" in runs[0][2]


def test_three_slice_sizes_give_identical_vm_runs() -> None:
    """Two VMs under the hypervisor with the Cortex-A7 profile: the same however sliced."""
    from rthv.tools.system import boot_system, run_report

    root = Path(__file__).resolve().parents[1]
    reports = []
    for max_slice in (None, 997, 10_007):
        hv = boot_system(root / "examples" / "pingpong-vm.toml", overrides={"timing": "cortex-a7"})
        result = hv.run(5_000_000, max_slice=max_slice)
        reports.append(run_report(hv, result, {}))
    assert reports[0] == reports[1] == reports[2]
