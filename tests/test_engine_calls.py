"""The engine's C API called from C: values, order, errors with the engine's status, hooks'
exceptions raised again after a run, hooks that live as long as their engine, registers too
wide for a 32-bit value refused, and a stop from another thread."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading
import weakref

import pytest
import unicorn
from unicorn import arm_const
from unicorn.unicorn_py3 import Uc, UcError

from rthv.board import engine_calls
from rthv.board.registers import CNTKCTL, VBAR

BASE = 0x1_0000
SVC = 0xEF00_0000  # svc #0
UDF = 0xE7F0_00F0  # udf #0
NOP = 0xE320_F000
LOAD_THEN_STORE = (0xE590_1000, 0xE580_1004)  # ldr r1, [r0]; str r1, [r0, #4]
DEVICE = 0x2000_0000
COUNT_DOWN = (0xE250_0001, 0x1AFF_FFFD)  # loop: subs r0, r0, #1; bne loop


@pytest.fixture
def uc() -> Uc:
    engine = Uc(unicorn.UC_ARCH_ARM, unicorn.UC_MODE_ARM)
    engine.ctl_set_cpu_model(arm_const.UC_CPU_ARM_CORTEX_A15)
    engine.mem_map(BASE, 0x1000)
    return engine


def load(uc: Uc, *words: int) -> None:
    uc.mem_write(BASE, b"".join(word.to_bytes(4, "little") for word in words))


def run_from(uc: Uc, begin: int, until: int) -> None:
    """``engine_calls.run`` from ``begin`` (A32) to ``until``, with no clock to claim."""
    handle = engine_calls.handle_of(uc)
    engine_calls.reg_write(handle, arm_const.UC_ARM_REG_PC, begin)
    engine_calls.run(uc, handle, until, 0)


def test_a_register_reads_back_what_was_written_masked_to_32_bits(uc: Uc) -> None:
    """reg_write keeps the low 32 bits (-1 reads as 0xFFFFFFFF); the bindings see the same."""
    handle = engine_calls.handle_of(uc)
    engine_calls.reg_write(handle, arm_const.UC_ARM_REG_R5, -1)
    engine_calls.reg_write(handle, arm_const.UC_ARM_REG_R6, 0x1_2345_6789)
    assert engine_calls.reg_read(handle, arm_const.UC_ARM_REG_R5) == 0xFFFF_FFFF
    assert uc.reg_read(arm_const.UC_ARM_REG_R6) == 0x2345_6789


def test_batches_keep_their_order(uc: Uc) -> None:
    """A batch reads in the order given, and writes in it: R0 written twice keeps the last."""
    handle = engine_calls.handle_of(uc)
    r0, r1, r2 = arm_const.UC_ARM_REG_R0, arm_const.UC_ARM_REG_R1, arm_const.UC_ARM_REG_R2
    engine_calls.write_batch(handle, (r2, r0, r1, r0), 3, 1, 2, 10)
    assert engine_calls.read_batch(handle, (r1, r0, r2)) == (2, 10, 3)
    with pytest.raises(TypeError):
        engine_calls.write_batch(handle, (r0, r1), 1)  # one value short


WIDE_REGISTER_CALLS = """
import unicorn
from unicorn import arm_const as arm
from rthv.board import engine_calls as calls

uc = unicorn.Uc(unicorn.UC_ARCH_ARM, unicorn.UC_MODE_ARM)
handle = calls.handle_of(uc)
quads = tuple(getattr(arm, f"UC_ARM_REG_Q{i}") for i in range(8))
for call in (
    lambda: calls.reg_read(handle, arm.UC_ARM_REG_Q0),
    lambda: calls.reg_read(handle, arm.UC_ARM_REG_D0),
    lambda: calls.reg_read(handle, arm.UC_ARM_REG_CP_REG),
    lambda: calls.read_batch(handle, quads),
    lambda: calls.reg_write(handle, arm.UC_ARM_REG_Q0, 1),
    lambda: calls.reg_write(handle, arm.UC_ARM_REG_CP_REG, 1),
    lambda: calls.write_batch(handle, quads, *range(8)),
):
    try:
        call()
    except unicorn.UcError as error:
        print("overflow" if error.errno == unicorn.UC_ERR_OVERFLOW else error.errno)
    else:
        print("accepted")
"""


def test_a_register_wider_than_32_bits_is_refused_not_overrun() -> None:
    """D and Q registers and the CP_REG struct do not fit the 32-bit values these calls pass:
    the engine refuses each (UC_ERR_OVERFLOW) rather than write 8, 16 or 40 bytes into 4 (a Q
    register's read used to kill the process). In a child process: a crash fails the test."""
    child = subprocess.run(
        [sys.executable, "-c", WIDE_REGISTER_CALLS], capture_output=True, text=True, check=False
    )
    assert child.returncode == 0, child.stderr
    assert child.stdout.split() == ["overflow"] * 7


def test_cp15_registers_read_back_as_the_bindings_see_them(uc: Uc) -> None:
    """cp15_write/cp15_read reach the register the bindings' CP_REG key names."""
    handle = engine_calls.handle_of(uc)
    engine_calls.cp15_write(handle, VBAR.crn, VBAR.crm, VBAR.opc1, VBAR.opc2, 0x8000_0020, "V")
    assert uc.reg_read(arm_const.UC_ARM_REG_CP_REG, VBAR.key()) == 0x8000_0020
    uc.reg_write(arm_const.UC_ARM_REG_CP_REG, (*CNTKCTL.key(), 0x3))
    assert engine_calls.cp15_read(handle, 14, 1, 0, 0, "CNTKCTL") == 0x3


def test_code_is_fetched_as_mapped_or_not_at_all(uc: Uc) -> None:
    """fetch_code returns the bytes at an address (MMU off: the engine's own map), and None
    when any of them is unmapped."""
    handle = engine_calls.handle_of(uc)
    load(uc, NOP, UDF)
    assert engine_calls.fetch_code(handle, BASE + 2, 4) == bytes.fromhex("20e3f000")
    assert engine_calls.fetch_code(handle, BASE + 0xFFE, 4) is None
    assert engine_calls.fetch_code(handle, 0x4000_0000, 4) is None


def test_engine_errors_raise_ucerror_with_the_engines_status(uc: Uc) -> None:
    """A run from unmapped memory and an empty range to drop fail with the engine's status."""
    handle = engine_calls.handle_of(uc)
    with pytest.raises(UcError) as run:
        run_from(uc, 0x4000_0000, 0xFFFF_FFFF)
    assert run.value.errno == unicorn.UC_ERR_FETCH_UNMAPPED
    with pytest.raises(UcError) as drop:
        engine_calls.remove_cache(handle, BASE + 8, BASE)
    assert drop.value.errno == unicorn.UC_ERR_ARG
    engine_calls.remove_cache(handle, BASE, BASE + 8)


THUMB_NOPS = 0xBF00_BF00  # nop; nop (T32)
CPSR_T = 1 << 5


def test_run_starts_at_pc_in_its_state_and_returns_where_it_stopped(uc: Uc) -> None:
    """run starts at the current PC, in Thumb when CPSR.T is set, and returns PC and CPSR
    after the engine stops; a callback's exception comes out of it."""
    handle = engine_calls.handle_of(uc)
    load(uc, NOP, NOP, THUMB_NOPS, THUMB_NOPS)
    engine_calls.reg_write(handle, arm_const.UC_ARM_REG_PC, BASE)
    pc, cpsr = engine_calls.run(uc, handle, BASE + 8, 0)
    assert (pc, cpsr & CPSR_T) == (BASE + 8, 0)
    cpsr = engine_calls.reg_read(handle, arm_const.UC_ARM_REG_CPSR)
    engine_calls.reg_write(handle, arm_const.UC_ARM_REG_CPSR, cpsr | CPSR_T)
    pc, cpsr = engine_calls.run(uc, handle, BASE + 14, 0)  # three T32 NOPs, not one A32 word
    assert (pc, cpsr & CPSR_T) == (BASE + 14, CPSR_T)

    def fail(_intno: int) -> None:
        raise LookupError("from the hook")

    _hook = engine_calls.add_hook(uc, handle, unicorn.UC_HOOK_INTR, fail)
    load(uc, SVC, NOP)
    engine_calls.reg_write(handle, arm_const.UC_ARM_REG_CPSR, cpsr & ~CPSR_T)
    engine_calls.reg_write(handle, arm_const.UC_ARM_REG_PC, BASE)
    engine_calls.remove_cache(handle, BASE, BASE + 16)
    with pytest.raises(LookupError, match="from the hook"):
        engine_calls.run(uc, handle, BASE + 8, 0)


def test_a_hook_calls_its_callable_and_a_true_result_goes_on(uc: Uc) -> None:
    """The interrupt hook gets the interrupt number; the invalid-instruction hook's True result
    resumes the run where the callback left PC (without the hook, the UDF ends the run)."""
    handle = engine_calls.handle_of(uc)
    load(uc, NOP, UDF, SVC, NOP)
    with pytest.raises(UcError) as unhooked:
        run_from(uc, BASE, BASE + 16)
    assert unhooked.value.errno == unicorn.UC_ERR_INSN_INVALID
    seen: list[object] = []

    def on_interrupt(intno: int) -> None:
        seen.append(intno)

    def on_invalid() -> bool:
        seen.append("udf")
        engine_calls.reg_write(handle, arm_const.UC_ARM_REG_PC, BASE + 8)
        return True

    _hooks = (
        engine_calls.add_hook(uc, handle, unicorn.UC_HOOK_INTR, on_interrupt),
        engine_calls.add_hook(uc, handle, unicorn.UC_HOOK_INSN_INVALID, on_invalid),
    )
    run_from(uc, BASE, BASE + 16)
    assert seen == ["udf", 2]
    assert engine_calls.reg_read(handle, arm_const.UC_ARM_REG_PC) == BASE + 16


@pytest.mark.parametrize("hook_type", [unicorn.UC_HOOK_INTR, unicorn.UC_HOOK_INSN_INVALID])
def test_a_callbacks_exception_is_raised_by_run_and_stops_it(uc: Uc, hook_type: int) -> None:
    """The first exception a hook raises stops the engine and comes out of run; the next run
    starts clean."""
    handle = engine_calls.handle_of(uc)

    def fail(*_args: object) -> bool:
        raise LookupError("from the hook")

    _hook = engine_calls.add_hook(uc, handle, hook_type, fail)
    load(uc, SVC if hook_type == unicorn.UC_HOOK_INTR else UDF, NOP, NOP)
    with pytest.raises(LookupError, match="from the hook"):
        run_from(uc, BASE, BASE + 12)
    load(uc, NOP, NOP, NOP)
    engine_calls.remove_cache(handle, BASE, BASE + 12)
    run_from(uc, BASE, BASE + 12)
    assert engine_calls.reg_read(handle, arm_const.UC_ARM_REG_PC) == BASE + 12


def test_mmio_accesses_reach_the_python_callables(uc: Uc) -> None:
    """A load calls read(offset, size) and gets its value; a store calls write(offset, size,
    value); an exception in a callable comes out of run."""
    handle = engine_calls.handle_of(uc)
    accesses: list[tuple[int, ...]] = []

    def read(offset: int, size: int) -> int:
        accesses.append((offset, size))
        if offset == 8:
            raise LookupError("no register at 8")
        return 0xCAFE_F00D

    def write(offset: int, size: int, value: int) -> None:
        accesses.append((offset, size, value))

    _hooks = engine_calls.mmio_map(uc, handle, DEVICE, 0x1000, read, write)
    load(uc, *LOAD_THEN_STORE)
    engine_calls.reg_write(handle, arm_const.UC_ARM_REG_R0, DEVICE)
    run_from(uc, BASE, BASE + 8)
    assert accesses == [(0, 4), (4, 4, 0xCAFE_F00D)]
    engine_calls.reg_write(handle, arm_const.UC_ARM_REG_R0, DEVICE + 8)
    with pytest.raises(LookupError, match="no register at 8"):
        run_from(uc, BASE, BASE + 8)


def test_hooks_live_as_long_as_their_engine_whatever_the_caller_keeps(uc: Uc) -> None:
    """The engine keeps pointers to its hooks, so their Uc keeps them: a caller that drops what
    add_hook and mmio_map return leaves no dangling pointer, and the callables are still
    reached (they used to be freed with the hooks, under the engine)."""
    handle = engine_calls.handle_of(uc)
    seen: list[tuple[int, ...]] = []

    def read(offset: int, size: int) -> int:
        seen.append((offset, size))
        return 7

    def write(offset: int, size: int, value: int) -> None:
        seen.append((offset, size, value))

    def on_interrupt(intno: int) -> None:
        seen.append((intno,))

    callables = [weakref.ref(function) for function in (read, write, on_interrupt)]
    engine_calls.mmio_map(uc, handle, DEVICE, 0x1000, read, write)
    engine_calls.add_hook(uc, handle, unicorn.UC_HOOK_INTR, on_interrupt)
    del read, write, on_interrupt
    gc.collect()
    assert all(function() is not None for function in callables)
    load(uc, *LOAD_THEN_STORE, SVC)
    engine_calls.reg_write(handle, arm_const.UC_ARM_REG_R0, DEVICE)
    run_from(uc, BASE, BASE + 12)
    assert seen == [(0, 4), (4, 4, 7), (2,)]


def test_an_engine_with_hooks_is_still_collected() -> None:
    """Hooks whose callables refer back to their engine form a cycle the garbage collector
    frees (else every core's engine and memory would live to the end of the process)."""

    class Owner:
        def __init__(self) -> None:
            self.uc = Uc(unicorn.UC_ARCH_ARM, unicorn.UC_MODE_ARM)
            self.uc.mem_map(BASE, 0x1000)
            handle = engine_calls.handle_of(self.uc)
            self.hooks = (
                engine_calls.add_hook(self.uc, handle, unicorn.UC_HOOK_INTR, self.on_interrupt),
                *engine_calls.mmio_map(self.uc, handle, DEVICE, 0x1000, self.read, self.write),
            )

        def on_interrupt(self, _intno: int) -> None: ...

        def read(self, _offset: int, _size: int) -> int:
            return 0

        def write(self, _offset: int, _size: int, _value: int) -> None: ...

    owner = Owner()
    gone, engine_gone = weakref.ref(owner), weakref.ref(owner.uc)
    del owner
    gc.collect()
    assert gone() is None
    assert engine_gone() is None


def test_another_thread_can_stop_a_run(uc: Uc) -> None:
    """run lets other threads run: one stops a count-down long before it would end."""
    handle = engine_calls.handle_of(uc)
    load(uc, *COUNT_DOWN, NOP)
    engine_calls.reg_write(handle, arm_const.UC_ARM_REG_R0, 0x7FFF_FFFF)
    done = threading.Event()

    def stop_until_done() -> None:
        while not done.wait(0.01):
            engine_calls.emu_stop(handle)

    stopper = threading.Thread(target=stop_until_done)
    stopper.start()
    try:
        run_from(uc, BASE, BASE + 12)
    finally:
        done.set()
        stopper.join()
    assert engine_calls.reg_read(handle, arm_const.UC_ARM_REG_R0) != 0
