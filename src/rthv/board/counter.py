"""Exact instruction counting for one Unicorn engine: inline, a native block hook, or Python.

The hook runs at the start of every translation block, before it executes. It adds the block's
instruction count to ``executed`` and its time units to ``units`` (the class weights of its
instructions under the timing profile, ``rthv.board.timing``: computed once per block and
cached), and stops the engine *without entering the block* when the block's units would cross
the exact budget, when the soft limit of a run slice is reached, or (while an
interrupt is pending) as soon as the guest clears CPSR.I. T32 blocks are counted by decoding
instruction lengths, so Thumb-2 counts are as exact as ARM ones.

The native hook also finds blocks that write a generic-timer register and stops right after
one (``StopReason.TIMER_WRITE``), and serves the engine's own clock in virtual time
(``keep_time``, see ``engine_clock.py``).

On rthv's engine (``engine/``) each translated block does the hook's common case in its own
generated code (``inline``): the engine asks ``_icount_inline.c`` what a block costs when it
translates it and puts that into the block's code, which calls the whole native hook only when a
stop may be due (a pending timer write or IRQ watch, the soft limit, the budget, uncached
charging). Counts, units and stops are the same as with the hook, which stays for stock engines
(tests run pinned systems both ways).

When a budget ends inside a block, the hook stops before the block and ``CpuCore._finish_budget``
runs the instructions up to the budget as a short block of their own, dropping the block's
translation. On rthv's engine (rthv3 on) while counting inline, the hook does that itself: it
asks the engine for the next block limited to those instructions (cached by the engine beside
the full block, so nothing is dropped or translated again), raises the budget to their end as
``_finish_budget`` does, and stops at the next block start (``short_blocks`` counts these).

The native hook lives in ``_icount_hook.c`` (one of the sources of ``_icount``, built by the
package install). The same counting logic runs as a Python hook (identical counts, about twenty
times slower; tests compare the two), but only the native hook can serve the engine's clock in
virtual time: without it no machine is made (``EngineClockError``), rather than let host time
into a guest.
"""

from __future__ import annotations

import ctypes
import types
from typing import Any, Final

import unicorn
import unicorn.unicorn_py3.unicorn as unicorn_binding
from unicorn import arm_const

from rthv.board.engine_clock import install_engine_clock
from rthv.board.guest_code import read_code
from rthv.board.icount_state import IcountState, StopReason
from rthv.board.thumb import count_thumb_instructions
from rthv.board.timing import INSTRUCTION_COUNT, NATIVE_WEIGHT_LIMIT, InsnClass, arm_units

_icount: types.ModuleType | None
try:
    from rthv.board import _icount
except ImportError:  # pragma: no cover - exercised only where no C compiler was present
    _icount = None

_CPSR_I: Final = 1 << 7
_CPSR_T: Final = 1 << 5
_SCTLR_M_C: Final = (1 << 0) | (1 << 2)
NO_LIMIT: Final = (1 << 64) - 1
_OTHER: Final = int(InsnClass.OTHER)


_uclib: Any = unicorn_binding.uclib


def native_available() -> bool:
    """True when the C hook was built with the package."""
    return _icount is not None


def inline_available() -> bool:
    """True when the engine can count blocks in their generated code (rthv's engine, rthv2 on)."""
    return hasattr(_uclib, "uc_rthv_inline_counter")


def short_blocks_available() -> bool:
    """True when the engine can run a block limited to its first instructions without leaving
    the emulation (rthv's engine, rthv3 on): a budget inside a block is finished in the engine."""
    return hasattr(_uclib, "uc_rthv_limit_next_block")


class InstructionCounter:
    """Counts retired instructions and their time units exactly and stops the engine at budgets.

    ``budget`` is in units; ``soft_limit`` in instructions.
    """

    def __init__(
        self, uc: unicorn.Uc, *, native: bool | None = None, inline: bool | None = None
    ) -> None:
        self.native = native_available() if native is None else native
        if self.native and not native_available():
            raise RuntimeError("the native instruction counter was not built")
        self.inline = self.native and inline_available() if inline is None else inline
        if self.inline and not (self.native and inline_available()):
            raise RuntimeError("counting inline needs the native counter and rthv's engine")
        self._uc = uc
        self.state = IcountState()
        # The address of ``state``, which the engine's clock reads while this engine runs
        # (``engine_calls.run`` claims it); 0 for the Python hook, which keeps no clock.
        self.clock_state = 0
        self.state.budget = NO_LIMIT
        self.state.soft_limit = NO_LIMIT
        self.state.cpsr_reg = arm_const.UC_ARM_REG_CPSR
        self.state.pc_reg = arm_const.UC_ARM_REG_PC
        self.state.cp_reg = arm_const.UC_ARM_REG_CP_REG
        self._thumb_cache: dict[tuple[int, int], int] = {}
        self._units_cache: dict[tuple[int, int, bool], int] = {}
        if self.inline:
            self._hook = self._count_inline()
        elif self.native:
            self._hook = self._add_native_hook()
        else:
            self._hook = uc.hook_add(unicorn.UC_HOOK_BLOCK, self._python_hook)
        self.set_weights(INSTRUCTION_COUNT.unit_weights(), mode=0)

    def _native_addresses(self) -> dict[str, int]:
        assert _icount is not None
        addresses: dict[str, int] = _icount.addresses()
        if addresses["state_size"] != ctypes.sizeof(IcountState):
            raise RuntimeError("native counter layout does not match IcountState")
        state = self.state
        state.reg_read = ctypes.cast(_uclib.uc_reg_read, ctypes.c_void_p).value
        state.emu_stop = ctypes.cast(_uclib.uc_emu_stop, ctypes.c_void_p).value
        state.vmem_read = ctypes.cast(_uclib.uc_vmem_read, ctypes.c_void_p).value
        self._forget = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(addresses["forget_blocks"])
        self.clock_state = ctypes.addressof(state)
        return addresses

    def _count_inline(self) -> int:
        """Have the engine count each block in its generated code (``_icount_inline.c``)."""
        addresses = self._native_addresses()
        status = _uclib.uc_rthv_inline_counter(
            self._uc._uch,
            ctypes.cast(ctypes.pointer(self.state), ctypes.c_void_p),
            ctypes.c_void_p(addresses["inline_layout"]),
            ctypes.c_void_p(addresses["block_cost"]),
            ctypes.c_void_p(addresses["block_hook_full"]),
        )
        if status != 0:
            raise unicorn.UcError(status)
        if short_blocks_available():  # else CpuCore._finish_budget ends a budget inside a block
            self.state.limit_next_block = ctypes.cast(
                _uclib.uc_rthv_limit_next_block, ctypes.c_void_p
            ).value
        return 0

    def _add_native_hook(self) -> int:
        addresses = self._native_addresses()
        state = self.state
        handle = ctypes.c_size_t()
        status = _uclib.uc_hook_add(
            self._uc._uch,
            ctypes.byref(handle),
            unicorn.UC_HOOK_BLOCK,
            ctypes.c_void_p(addresses["block_hook"]),
            ctypes.cast(ctypes.pointer(state), ctypes.c_void_p),
            ctypes.c_uint64(1),
            ctypes.c_uint64(0),
        )
        if status != 0:
            raise unicorn.UcError(status)
        return handle.value

    def _python_hook(self, uc: unicorn.Uc, address: int, size: int, _data: object) -> None:
        state = self.state
        cpsr = uc.reg_read(arm_const.UC_ARM_REG_CPSR)
        if state.watch_irq and not cpsr & _CPSR_I:
            state.stop_reason = StopReason.IRQ_UNMASKED
            uc.emu_stop()
            return
        if state.executed >= state.soft_limit:
            state.stop_reason = StopReason.SOFT
            uc.emu_stop()
            return
        thumb = bool(cpsr & _CPSR_T)
        icount = self._thumb_icount(address, size) if thumb else size // 4
        uncached = self.data_uncached()
        units = self._block_units(address, size, icount, thumb, uncached)
        if state.units + units > state.budget:
            state.stop_reason = StopReason.BUDGET
            uc.emu_stop()
            return
        state.executed += icount
        state.units += units
        state.block_start = address
        state.block_size = size
        state.block_icount = icount
        state.block_units = units
        state.block_uncached = int(uncached)
        state.block_thumb = int(thumb)
        state.blocks += 1

    def _thumb_icount(self, address: int, size: int) -> int:
        key = (address, size)
        count = self._thumb_cache.get(key)
        if count is None:
            count = count_thumb_instructions(read_code(self._uc, address, size))
            self._thumb_cache[key] = count
        return count

    def _block_units(
        self, address: int, size: int, icount: int, thumb: bool, uncached: bool
    ) -> int:
        if thumb or not self.state.weighted:
            return icount * int(self.state.weights[InsnClass.OTHER])
        key = (address, size, uncached)
        units = self._units_cache.get(key)
        if units is None:
            units = arm_units(read_code(self._uc, address, size), self._weights, uncached)
            self._units_cache[key] = units
        return units

    def data_uncached(self) -> bool:
        """Mode 2 only: data accesses are uncached now (SCTLR.M or SCTLR.C clear)."""
        if self.state.weighted != 2:
            return False
        sctlr = int(self._uc.reg_read(arm_const.UC_ARM_REG_CP_REG, (15, 0, 0, 1, 0, 0, 0)))
        return sctlr & _SCTLR_M_C != _SCTLR_M_C

    def set_weights(self, weights: tuple[int, ...], *, mode: int) -> None:
        """Use these units per instruction class (``TimingProfile.unit_weights``).

        ``mode`` (``TimingProfile.native_mode``) 0: every instruction costs ``weights[0]``,
        and code is never read; 1: A32 code weighed by class; 2: and uncached data accesses
        charged their extra while SCTLR.M or SCTLR.C is clear.
        """
        if not all(0 <= weight < NATIVE_WEIGHT_LIMIT for weight in weights):
            raise ValueError(f"unit weights must fit 32 bits (ctypes would wrap), got {weights}")
        self._weights = weights
        self.state.weighted = mode
        for index, value in enumerate(weights):
            self.state.weights[index] = value
        self.forget_code()
        if self.inline:
            self._uc.ctl_flush_tb()  # translated blocks hold their units under the old weights

    def unit_at(self, address: int, thumb: bool) -> int:
        """Units of the instruction at ``address`` (any T32 one: the ``other`` weight)."""
        if thumb or not self.state.weighted:
            return int(self.state.weights[InsnClass.OTHER])
        return arm_units(read_code(self._uc, address, 4), self._weights, self.data_uncached())

    @property
    def executed(self) -> int:
        """Instructions counted so far, including every instruction of the current block."""
        return int(self.state.executed)

    @property
    def units(self) -> int:
        """Time units counted so far, including those of the whole current block."""
        return int(self.state.units)

    def arm(self, budget: int, soft_limit: int = NO_LIMIT, watch_irq: bool = False) -> None:
        """Set the stop conditions for the next run (budget in units, soft limit in
        instructions; both absolute)."""
        state = self.state
        state.budget = budget
        state.soft_limit = soft_limit
        state.watch_irq = watch_irq
        state.stop_reason = 0  # StopReason.NONE
        state.finishing = 0

    @property
    def stop_reason(self) -> int:
        """Why the hook last stopped the engine: a ``StopReason`` value, as a plain int (read
        after every run; compare with ``==``)."""
        return int(self.state.stop_reason)

    def request_stop(self) -> None:
        """Stop at the next block boundary (safe from inside an MMIO callback)."""
        self.state.soft_limit = 0

    def unwatch_irq(self) -> None:
        """No longer stop when the guest clears CPSR.I (its interrupt line went low)."""
        self.state.watch_irq = 0

    def retired_before(self, pc: int) -> int:
        """Instructions retired before the instruction at ``pc`` inside the current block."""
        state = self.state
        start: int = state.block_start
        executed: int = state.executed
        if not start <= pc < start + state.block_size:
            return executed
        block_icount: int = state.block_icount
        return executed - block_icount + self._retired_in_block(start, pc)

    def _retired_in_block(self, start: int, pc: int) -> int:
        """Instructions of the current block, which starts at ``start``, before ``pc``."""
        if self.state.block_thumb:
            return count_thumb_instructions(read_code(self._uc, start, pc - start))
        return (pc - start) // 4

    def _units_in_block(self, start: int, pc: int, retired: int) -> int:
        """Units of the ``retired`` instructions of the current block before ``pc``."""
        state = self.state
        if state.block_thumb or not state.weighted:
            weight: int = state.weights[_OTHER]
            return retired * weight
        code = read_code(self._uc, start, pc - start)
        return arm_units(code, self._weights, bool(state.block_uncached))

    def keep_time(self, *, cpu_hz: int, units_per_cycle: int, counter_hz: int) -> None:
        """Let the engine's own clock read virtual time while this engine runs (native only).

        Its generic-timer counters (and so TVAL, ISTATUS) then count ``counter_hz`` ticks of
        virtual time, exactly at the reading instruction, with no exit from the engine. Raises
        EngineClockError when that cannot be (the native counter was not built, or the engine's
        clock import cannot be redirected): the engine would read host time; ValueError for a
        value of 0 or one that does not fit 64 bits. The Python twin,
        asked for by name while the native counter exists (tests compare the two), has no
        such clock: its engine's counters are not for guests that read them.
        """
        if not self.native and native_available():
            return
        # The engine's clock divides by these 64-bit fields, which ctypes would silently wrap.
        given = {"cpu_hz": cpu_hz, "units_per_cycle": units_per_cycle, "counter_hz": counter_hz}
        for name, value in given.items():
            if not 0 < value < 1 << 64:
                raise ValueError(f"{name} must be from 1 to 2**64 - 1, got {value}")
        install_engine_clock()
        self.state.cpu_hz = cpu_hz
        self.state.units_per_cycle = units_per_cycle
        self.state.counter_hz = counter_hz

    @property
    def keeps_time(self) -> bool:
        """True when the engine's clock reads virtual time (``keep_time`` took effect)."""
        return bool(self.state.units_per_cycle)

    def set_timebase(self, units: int) -> None:
        """Virtual time is ``units`` (clock units) now, with ``units`` of this engine retired."""
        self.state.cycle_base = units
        self.state.retired_base = self.state.units

    def charge(self, cycles: int) -> None:
        """Time moved on by ``cycles`` without instructions (mid-run work charged by PL2)."""
        self.state.cycle_base += cycles * self.state.units_per_cycle

    def units_before(self, pc: int) -> int:
        """Units of the instructions retired before the one at ``pc`` in the current block."""
        state = self.state
        start: int = state.block_start
        units: int = state.units
        if not start <= pc < start + state.block_size:
            return units
        retired = self._retired_in_block(start, pc)
        block_units: int = state.block_units
        return units - block_units + self._units_in_block(start, pc, retired)

    def rewind_to(self, pc: int) -> None:
        """Set the counts after a synchronous exception ended the current block at ``pc``."""
        state = self.state
        start = state.block_start
        if start <= pc < start + state.block_size:
            retired = self._retired_in_block(start, pc)
            state.units += self._units_in_block(start, pc, retired) - state.block_units
            state.executed += retired - state.block_icount
        state.block_size = 0
        state.block_tb = 0

    def forget_code(self) -> None:
        """Drop cached T32 block lengths (call whenever code in memory changes)."""
        self._thumb_cache.clear()
        self._units_cache.clear()
        if self.native:
            self._forget(ctypes.addressof(self.state))

    def close(self) -> None:
        """Remove the hook (or the inline counting) from the engine."""
        if self.inline:
            _uclib.uc_rthv_inline_counter(self._uc._uch, None, None, None, None)
        elif self.native:
            _uclib.uc_hook_del(self._uc._uch, ctypes.c_size_t(self._hook))
        else:
            self._uc.hook_del(self._hook)
