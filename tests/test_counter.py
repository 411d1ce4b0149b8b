"""The instruction counter: exact counts and exact stops, native and Python fallback alike."""

from __future__ import annotations

import ctypes
import json
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest

import counter_placement
from rthv.board import counter as counter_module
from rthv.board.counter import inline_available, native_available, short_blocks_available
from rthv.board.cpu import CpuCore
from rthv.board.cpu_exit import ExitKind
from rthv.board.engine_build import STOCK, engine_build
from rthv.board.icount_state import StopReason
from rthv.board.registers import Reg
from rthv.board.thumb import thumb_instruction_address
from rthv.board.timing import CORTEX_A15, INSTRUCTION_COUNT, TimingProfile
from rthv.tools.bare import boot_bare
from support import InstructionTrace, assemble, core_with_code, guest_image
from test_pinned_runs import PINS, observe

LOOP = """
    mov r0, #0
    mov r1, #100
1:  add r0, r0, r1
    eor r2, r0, r1, lsl #3
    subs r1, r1, #1
    bne 1b
    wfi
"""

THUMB_LOOP = """
    movw r0, #0
    movt r0, #0
    movs r1, #50
1:  adds r0, r0, r1
    add.w r2, r0, r1, lsl #2
    ldr.w r3, =0x12345678
    cbz r1, 2f
    subs r1, #1
    b 1b
2:  wfi
"""

# 3 set-up instructions, then 50 iterations of 8 (ADDS, ADD.W, CMP, ITE, ADDGT, SUBLE, SUBS,
# BNE: the IT and both conditional instructions are executed whatever the condition), WFI.
IT_LOOP = """
    movw r0, #0
    movt r0, #0
    movs r1, #50
1:  adds r0, r0, r1
    add.w r2, r0, r1, lsl #2
    cmp r1, #25
    ite gt
    addgt r0, #1
    suble r0, #1
    subs r1, #1
    bne 1b
    wfi
"""
IT_LOOP_INSTRUCTIONS = 3 + 50 * 8 + 1

COUNTERS = [pytest.param(True, id="native"), pytest.param(False, id="python")]


def _reference(code: bytes, thumb: bool) -> int:
    core = core_with_code(code, thumb=thumb, native=False)
    trace = InstructionTrace(core.uc)
    exit = core.run(budget=10**9)
    assert exit.kind is ExitKind.WFI
    return trace.count


def test_native_counter_is_built() -> None:
    """The package install built the native hook (the fallback is for machines without cc)."""
    assert native_available()


def test_rthvs_engine_counts_inline() -> None:
    """The engine ``make`` builds counts in each block's generated code, and the counter uses
    that; on a stock engine the counter keeps the block hook."""
    assert inline_available() is (engine_build() != STOCK)
    assert core_with_code(assemble(LOOP)).counter.inline is inline_available()


# The command line with the engine taken for a stock one: the native block hook counts.
BLOCK_HOOK_CLI = (
    "-c",
    "import sys, rthv.board.counter as c; c.inline_available = lambda: False; "
    "from rthv.tools.cli import main; sys.exit(main(sys.argv[1:]))",
)


@pytest.mark.parametrize(
    ("example", "until"),
    [
        ("boot-vm", "10ms"),
        ("pingpong-vm", "100ms"),
        ("rt-hog-fp", "300ms"),
        ("linux-rtos", "1100ms"),
    ],
)
def test_the_block_hook_runs_systems_as_inline_counting_does(
    example: str, until: str, tmp_path: Path
) -> None:
    """Counting with the block hook (a stock engine) gives the pinned run that counting inline
    gives (tests/test_pinned_runs.py): consoles, counts and trace."""
    pinned = json.loads(PINS.read_text())[f"{example}@{until}"]
    assert observe(example, until, tmp_path, BLOCK_HOOK_CLI) == pinned


# The command line with every counter's state out of the inline counter's reach of the engine's
# CPU state (tests/counter_placement.py): each block addresses it through a constant pointer.
FAR_STATE_CLI = (
    "-c",
    f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
    "import counter_placement as p; cores = p.place_states_far(); "
    "from rthv.tools.cli import main; code = main(sys.argv[1:]); "
    "p.assert_out_of_reach(cores); sys.exit(code)",
)
# The A15 weights without the uncached extras: blocks weighed by class, each counting inline
# (uncached charging sends every block to the whole hook).
A15_CACHED = CORTEX_A15.with_overrides(weights={"uncached_load": 0, "uncached_store": 0})


def _bare_run(image: str, timing: TimingProfile | None) -> tuple[tuple[object, ...], int]:
    """A bare guest's 30 ms: its console, counts, time, registers, blocks and interrupts; and
    how far its counter's state lies from its engine's CPU state."""
    console = bytearray()
    machine = boot_bare(
        guest_image(image), timing=timing, console=lambda _name, data: console.extend(data)
    )
    result = machine.run(machine.clock.from_ns(Fraction(30_000_000)))
    irqs = [(i.cycle, i.instructions, i.pc) for i in machine.interrupts]
    core = machine.core
    run = (bytes(console), result.instructions, result.cycles, core.regs.snapshot(), irqs)
    return (*run, core.counter.state.blocks), counter_placement.distance(core)


@pytest.mark.skipif(not inline_available(), reason="a stock engine does not count inline")
@pytest.mark.parametrize("image", ["timer", "thumb", "compute"])
@pytest.mark.parametrize("timing", [None, A15_CACHED], ids=["instruction-count", "a15-weights"])
def test_a_counter_state_out_of_reach_of_the_engine_counts_as_one_within_it(
    image: str, timing: TimingProfile | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counting inline, a block addresses the counter's fields relative to the engine's CPU
    state when the counter's state lies within 1 GiB of it (where the allocator puts it, next
    to the engine's), else through the state's address as a constant. A run with the state
    placed far away (the second way) gives the same console, counts, time, registers, blocks
    and interrupts as a run with the state in reach (the first way)."""
    near, near_distance = _bare_run(image, timing)
    counter_placement.place_states_far(monkeypatch.setattr)
    far, far_distance = _bare_run(image, timing)
    assert near_distance < counter_placement.REACH <= far_distance
    assert far == near


@pytest.mark.interpreted
@pytest.mark.skipif(not inline_available(), reason="a stock engine does not count inline")
@pytest.mark.parametrize(("example", "until"), [("boot-vm", "10ms"), ("pingpong-vm", "100ms")])
def test_counter_states_out_of_reach_run_systems_as_pinned(
    example: str, until: str, tmp_path: Path
) -> None:
    """With every engine's counter state out of reach (the constant-pointer way), a system
    runs as pinned (tests/test_pinned_runs.py): consoles, counts and trace."""
    pinned = json.loads(PINS.read_text())[f"{example}@{until}"]
    assert observe(example, until, tmp_path, FAR_STATE_CLI) == pinned


@pytest.mark.parametrize("native", COUNTERS)
@pytest.mark.parametrize(("source", "thumb"), [(LOOP, False), (THUMB_LOOP, True)])
def test_counts_equal_a_per_instruction_reference(native: bool, source: str, thumb: bool) -> None:
    """Block-level counting gives exactly the count of a per-instruction hook, ARM and T32."""
    code = assemble(source, thumb=thumb)
    core = core_with_code(code, thumb=thumb, native=native)
    exit = core.run(budget=10**9)
    assert exit.kind is ExitKind.WFI
    assert core.counter.executed == _reference(code, thumb)


@pytest.mark.parametrize("native", COUNTERS)
@pytest.mark.parametrize(("source", "thumb"), [(LOOP, False), (THUMB_LOOP, True)])
def test_budget_stops_at_the_exact_instruction(native: bool, source: str, thumb: bool) -> None:
    """A budget in the middle of a block stops after exactly that many instructions."""
    code = assemble(source, thumb=thumb)
    for budget in (1, 2, 3, 7, 101, 257):
        core = core_with_code(code, thumb=thumb, native=native)
        reference = core_with_code(code, thumb=thumb, native=False)
        steps = InstructionTrace(reference.uc).addresses
        reference.run(budget=10**9)
        exit = core.run(budget=budget)
        assert exit.kind is ExitKind.BUDGET
        assert core.counter.executed == budget
        assert core.regs.pc == steps[budget]


# A two-instruction busy loop (the hog's), then a loop of several classes: blocks entered again
# and again from the native counter's cache, its common case.
CACHED_LOOPS = """
    mov r0, #40
1:  subs r0, r0, #1
    bne 1b
    mov r1, #30
2:  ldr r2, [pc, #-8]
    mul r3, r2, r1
    subs r1, r1, #1
    bne 2b
    wfi
"""


def test_blocks_from_the_cache_count_charge_and_stop_as_the_python_counter() -> None:
    """The native counter's common case (a block already in its cache) counts instructions,
    units and blocks exactly as the Python counter, and a budget crossed there stops at the
    same instruction, under class weights."""
    code = assemble(CACHED_LOOPS)
    weights = CORTEX_A15.unit_weights()

    def core(native: bool) -> CpuCore:
        made = core_with_code(code, native=native)
        made.counter.set_weights(weights, mode=1)
        return made

    native, python = core(True), core(False)
    assert native.run(budget=10**9).kind is python.run(budget=10**9).kind is ExitKind.WFI
    assert native.counter.executed == python.counter.executed == 2 + 40 * 2 + 30 * 4 + 1
    assert native.counter.units == python.counter.units
    assert native.counter.state.blocks == python.counter.state.blocks
    assert _current_block(native) == _current_block(python)
    for budget in (60, 61, 143, python.counter.units - 5):
        native, python = core(True), core(False)
        assert native.run(budget=budget).kind is python.run(budget=budget).kind
        assert (native.counter.executed, native.regs.pc) == (
            python.counter.executed,
            python.regs.pc,
        )
        assert _current_block(native) == _current_block(python)


def test_weights_set_after_code_ran_are_charged_from_then_on() -> None:
    """Counting inline puts a block's units into its translation: weights set after the code
    was translated and run are charged from then on, as the Python counter charges them."""
    code = assemble(CACHED_LOOPS)
    native, python = core_with_code(code, native=True), core_with_code(code, native=False)
    for core in (native, python):
        assert core.run(budget=10**9, soft_limit=100).kind is ExitKind.SLICE  # unit weights
        core.counter.set_weights(CORTEX_A15.unit_weights(), mode=1)
    assert native.run(budget=10**9).kind is python.run(budget=10**9).kind is ExitKind.WFI
    assert native.counter.executed == python.counter.executed
    assert native.counter.units == python.counter.units > 2 + 40 * 2 + 30 * 4 + 1


def test_weights_beyond_32_bits_are_refused_not_wrapped() -> None:
    """The native weight table holds 32-bit units, which ctypes would wrap (2**32 to 0)."""
    core = core_with_code(assemble(CACHED_LOOPS), native=True)
    weights = CORTEX_A15.unit_weights()
    with pytest.raises(ValueError, match="unit weights must fit 32 bits"):
        core.counter.set_weights((1 << 32, *weights[1:]), mode=1)
    assert tuple(core.counter.state.weights) == INSTRUCTION_COUNT.unit_weights()


def _current_block(core: CpuCore) -> tuple[int, ...]:
    """The counter's record of the block it entered last."""
    state = core.counter.state
    return (state.block_start, state.block_size, state.block_icount, state.block_units)


@pytest.mark.parametrize("native", COUNTERS)
def test_a_fault_in_a_block_entered_again_counts_exactly(native: bool) -> None:
    """Two blocks taken in turn from the cache, the second loading a page further each time:
    when the load leaves the 64 KiB of RAM, one instruction into that block, exactly the
    instructions before it have retired."""
    source = """
        ldr r0, =0x80000000
        mov r1, #0
    1:  add r1, r1, #1
        cmp r1, #100
        beq 2f
        add r0, r0, #0x1000
        ldr r2, [r0]
        b 1b
    2:  wfi
    """
    core = core_with_code(assemble(source), native=native)
    exit = core.run(budget=10**9)
    assert exit.kind is ExitKind.DATA_ABORT and exit.unmapped
    assert exit.address == 0x80010000
    assert core.counter.executed == 5 + 15 * (3 + 3) + 1
    assert core.regs.pc == 0x80000018


@pytest.mark.parametrize("native", COUNTERS)
def test_it_blocks_count_every_instruction(native: bool) -> None:
    """IT and the instructions of its block count as executed, whichever way the condition goes."""
    core = core_with_code(assemble(IT_LOOP, thumb=True), thumb=True, native=native)
    assert core.run(budget=10**9).kind is ExitKind.WFI
    assert core.counter.executed == IT_LOOP_INSTRUCTIONS


@pytest.mark.parametrize("native", COUNTERS)
def test_irq_watch_stops_right_after_the_guest_unmasks(native: bool) -> None:
    """While an IRQ is pending and masked, the run ends at the instruction after CPSIE I."""
    code = assemble("mov r0, #1\nmov r1, #2\ncpsie i\nmov r2, #3\nmov r3, #4\nwfi")
    core = core_with_code(code, native=native)
    exit = core.run(budget=10**9, watch_irq=True)
    assert exit.kind is ExitKind.IRQ_UNMASKED
    assert core.counter.executed == 3
    assert core.regs.pc == 0x8000000C
    assert core.counter.stop_reason == StopReason.IRQ_UNMASKED


@pytest.mark.parametrize("native", COUNTERS)
def test_soft_limit_ends_at_a_block_boundary(native: bool) -> None:
    """A soft limit stops at the first block start at or beyond it, never inside a block."""
    code = assemble(LOOP)
    core = core_with_code(code, native=native)
    exit = core.run(budget=10**9, soft_limit=10)
    assert exit.kind is ExitKind.SLICE
    assert core.counter.executed >= 10
    assert core.regs.pc == 0x80000008  # the loop head: a block boundary


@pytest.mark.parametrize("native", COUNTERS)
@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "thumb"])
def test_a_fault_in_mid_block_counts_exactly_the_instructions_before_it(
    native: bool, thumb: bool
) -> None:
    """A load from nowhere, six instructions into a block: exactly six have retired."""
    source = """
        movs r0, #1
        movs r1, #2
        movs r2, #3
        adds r0, r0, r1
        adds r2, r2, r0
        ldr r3, =0x30000000
        ldr r4, [r3]
        adds r4, r4, #1
        wfi
    """
    code = assemble(source, thumb=thumb)
    core = core_with_code(code, thumb=thumb, native=native)
    exit = core.run(budget=10**9)
    assert exit.kind is ExitKind.DATA_ABORT and exit.unmapped
    assert (exit.address, exit.write) == (0x30000000, False)
    assert core.counter.executed == 6
    seventh = thumb_instruction_address(code, 0x80000000, 6) if thumb else 0x80000000 + 6 * 4
    assert exit.pc == core.regs.pc == seventh


# How a budget that ends inside a block is finished: in the engine (a limited block, rthv's
# engine), or by CpuCore._finish_budget (dropping the block, a short run to an exit address)
# while counting inline or with the block hook (a stock engine).
FINISHES = ["engine", "python-inline", "python-hook"]


def _finishing_core(
    code: bytes, thumb: bool, finish: str, monkeypatch: pytest.MonkeyPatch
) -> CpuCore:
    with monkeypatch.context() as patch:
        if finish != "engine":
            patch.setattr(counter_module, "short_blocks_available", lambda: False)
        if finish == "python-hook":
            patch.setattr(counter_module, "inline_available", lambda: False)
        core = core_with_code(code, thumb=thumb)
    assert core.counter.inline is (finish != "python-hook" and inline_available())
    return core


def test_rthvs_engine_finishes_a_budget_inside_a_block() -> None:
    """The engine ``make`` builds runs limited blocks; a stock one leaves it to CpuCore."""
    assert short_blocks_available() is (engine_build() != STOCK)
    core = core_with_code(assemble(LOOP))
    assert bool(core.counter.state.limit_next_block) is short_blocks_available()


@pytest.mark.interpreted
@pytest.mark.parametrize(("source", "thumb"), [(LOOP, False), (THUMB_LOOP, True)])
@pytest.mark.parametrize("weighted", [False, True], ids=["unit-weights", "cortex-a15"])
def test_a_budget_inside_a_block_stops_at_the_same_instruction_every_way(
    source: str, thumb: bool, weighted: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A32 and T32, unit and class weights: each budget, run after run, stops at the same
    instruction with the same count and units whichever way it is finished (with unit
    weights: exactly after ``budget`` instructions); the engine drops no translation."""
    code = assemble(source, thumb=thumb)
    reference = core_with_code(code, thumb=thumb, native=False)
    steps = InstructionTrace(reference.uc).addresses
    reference.run(budget=10**9)
    stops: dict[str, list[tuple[int, int, int]]] = {}
    for finish in FINISHES:
        core = _finishing_core(code, thumb, finish, monkeypatch)
        if weighted:
            core.counter.set_weights(CORTEX_A15.unit_weights(), mode=1)
        dropped: list[int] = []
        remove_cache = core._remove_cache

        def drop(
            begin: int,
            end: int,
            keep: Callable[[int, int], None] = remove_cache,
            dropped: list[int] = dropped,
        ) -> None:
            dropped.append(begin)
            keep(begin, end)

        monkeypatch.setattr(core, "_remove_cache", drop)
        stops[finish] = []
        for budget in (1, 2, 3, 7, 101, 102, 257, 258, 263):
            exit = core.run(budget=budget)
            assert exit.kind is ExitKind.BUDGET
            assert (exit.pc, exit.thumb) == (core.regs.pc, thumb)
            assert core.counter.units >= budget
            stops[finish].append((exit.pc, core.counter.executed, core.counter.units))
            if not weighted:
                assert (core.counter.executed, exit.pc) == (budget, steps[budget])
        in_engine = finish == "engine" and short_blocks_available()
        assert (core.counter.state.short_blocks > 0, dropped == []) == (in_engine, in_engine)
    assert stops["engine"] == stops["python-inline"] == stops["python-hook"]


@pytest.mark.skipif(not short_blocks_available(), reason="a stock engine has no limited blocks")
def test_a_budget_landing_where_it_landed_before_reuses_the_limited_block() -> None:
    """The same place inside a loop's block, budget after budget: the engine keeps the limited
    block and the full one, so nothing is translated again (CpuCore._finish_budget dropped and
    translated both at every budget)."""
    core = core_with_code(assemble(LOOP))
    uclib = counter_module._uclib
    translated = uclib.uc_rthv_translated_blocks
    translated.restype = ctypes.c_uint64
    limited = uclib.uc_rthv_limited_blocks
    limited.restype = ctypes.c_uint64
    handle = core.uc._uch
    for lap in range(2, 40):
        assert core.run(budget=2 + 4 * lap + 1).kind is ExitKind.BUDGET  # 1 into the loop block
        if lap == 4:
            before = translated(handle), limited(handle)
    assert translated(handle) == before[0]
    assert limited(handle) == before[1] + 35
    assert core.counter.state.short_blocks == 38


DEVICE = 0x4000_0000
# One block of eleven instructions with three timed accesses, run five times.
DEVICE_LOOP = f"""
    ldr r3, ={DEVICE:#x}
    mov r6, #5
1:  mov r0, #7
    add r1, r0, r6
    ldr r4, [r3, #0x8]
    eor r2, r1, r0
    strb r0, [r3, #0x5]
    add r1, r1, #1
    eor r2, r2, r1
    ldrh r5, [r3, #0x2]
    add r1, r1, r2
    subs r6, r6, #1
    bne 1b
    wfi
"""


class _EventDevice:
    """A timed device whose writes bring the run's next event nearer (a timer armed from the
    guest): the budget is lowered to ``soon`` units after the access while a run is on."""

    def __init__(self, core: CpuCore, soon: int) -> None:
        self.core = core
        self.soon = soon
        self.log: list[tuple[str, int, int, int]] = []

    def read(self, offset: int, size: int) -> int:
        self.log.append(("read", offset, self.core.retired(), self.core.elapsed_units()))
        return offset

    def write(self, offset: int, size: int, value: int) -> None:
        units = self.core.elapsed_units()
        self.log.append(("write", offset, self.core.retired(), units))
        state = self.core.counter.state
        state.budget = min(state.budget, units + self.soon)


@pytest.mark.interpreted
@pytest.mark.parametrize("soon", [1, 2, 3, 6])
def test_timed_accesses_inside_the_short_block_leave_every_stop_as_it_was(
    soon: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Budgets that fall inside a block of timed accesses, one of which lowers the budget: each
    run stops at the same instruction, with the same counts, and the device sees the same
    accesses at the same counts, whichever way budgets inside blocks are finished."""
    code = assemble(DEVICE_LOOP)
    seen: dict[str, list[object]] = {}
    for finish in FINISHES:
        core = _finishing_core(code, False, finish, monkeypatch)
        device = _EventDevice(core, soon)
        core.map_device(DEVICE, 0x1000, device, timed=True)
        stops: list[tuple[ExitKind, int, int, int]] = []
        budget = 0
        for _ in range(200):
            budget = max(budget, core.counter.units) + 3
            exit = core.run(budget=budget)
            stops.append((exit.kind, exit.pc, core.counter.executed, core.counter.units))
            if exit.kind is ExitKind.WFI:
                break
        assert stops[-1][0] is ExitKind.WFI
        seen[finish] = [stops, device.log, core.timed_accesses]
        in_engine = finish == "engine" and short_blocks_available()
        assert (core.counter.state.short_blocks > 0) is in_engine
    assert seen["engine"] == seen["python-inline"] == seen["python-hook"]


@pytest.mark.interpreted
def test_budgets_inside_it_blocks_stop_in_the_same_state_every_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A budget at every instruction of a T32 loop of IT blocks, then at every third: the same
    stops, counts, results and CPSR (its ITSTATE included) however the budgets are finished."""
    code = assemble(IT_LOOP, thumb=True)
    seen: dict[str, list[tuple[ExitKind, int, int, int, int]]] = {}
    for finish in FINISHES:
        seen[finish] = []
        for step in (1, 3):
            core = _finishing_core(code, True, finish, monkeypatch)
            budget, exit = 0, None
            while exit is None or exit.kind is ExitKind.BUDGET:
                budget += step
                exit = core.run(budget=budget)
                regs = core.regs
                seen[finish].append(
                    (exit.kind, exit.pc, core.counter.executed, regs[Reg.R0], regs[Reg.CPSR])
                )
            assert exit.kind is ExitKind.WFI
            assert core.counter.executed == IT_LOOP_INSTRUCTIONS
    assert seen["engine"] == seen["python-inline"] == seen["python-hook"]
