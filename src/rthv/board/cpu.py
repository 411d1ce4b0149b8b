"""One ARMv7-A execution context over a Unicorn engine, with exact instruction counting.

A ``CpuCore`` is the state a physical CPU executes: bare-metal, one core sees physical memory;
under a hypervisor, each vCPU is its own core whose address space is its VM's IPA space. The
core runs until a budget, a trap or an interrupt opportunity and reports why as a ``CpuExit``.
It never takes exceptions itself: the machine (or the hypervisor) decides what each exit means.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Final

import unicorn
from unicorn import arm_const
from unicorn.unicorn_py3.unicorn import Uc

from rthv.board.code_watch import CodeWatch
from rthv.board.counter import NO_LIMIT, InstructionCounter
from rthv.board.cpu_exit import CpuExit, ExitKind
from rthv.board.decode import decode_coprocessor, decode_hvc
from rthv.board.device import MmioDevice
from rthv.board.engine_calls import add_hook, emu_stop, handle_of, mmio_map, remove_cache, run
from rthv.board.engine_exits import fault_exit_at, interrupt_exit, memory_fault_exit
from rthv.board.generic_timer import GenericTimer
from rthv.board.guest_code import follows_hint, instruction_at, read_code
from rthv.board.icount_state import StopReason
from rthv.board.mmio_callbacks import device_callbacks
from rthv.board.registers import CNTHCTL, CNTV_CTL, CPSR_MODE_MASK, CPSR_T, Mode, Registers
from rthv.board.stage1_fault import Stage1FaultReader
from rthv.board.thumb import is_wide_thumb, thumb_instruction_address
from rthv.board.timed_sites import FOLLOWER_SPAN, TimedSites
from rthv.board.virtual_timer_mirror import mirror_virtual_timer

NEVER_REACHED: Final = 0xFFFFFFFF
# Host code translated per engine. Unicorn reserves 1 GiB by default and fills it, since
# blocks ended early at budgets are translated again, so a long run's memory grew for
# minutes; when this buffer is full Unicorn flushes it and translates afresh (no effect on
# results, which count guest instructions).
TRANSLATION_BUFFER_BYTES: Final = 16 << 20
# The counter's stop reasons as plain ints, compared after every run.
_NO_STOP: Final = int(StopReason.NONE)
_BUDGET_STOP: Final = int(StopReason.BUDGET)
_TIMER_WRITE_STOP: Final = int(StopReason.TIMER_WRITE)
_EXIT_BY_STOP: Final = {
    int(StopReason.SOFT): ExitKind.SLICE,
    int(StopReason.IRQ_UNMASKED): ExitKind.IRQ_UNMASKED,
    _BUDGET_STOP: ExitKind.BUDGET,
}


class Perm(enum.IntFlag):
    """Access rights of a mapping in an engine."""

    READ = unicorn.UC_PROT_READ
    WRITE = unicorn.UC_PROT_WRITE
    EXEC = unicorn.UC_PROT_EXEC
    ALL = unicorn.UC_PROT_READ | unicorn.UC_PROT_WRITE | unicorn.UC_PROT_EXEC


class CpuCore:
    """A Cortex-A15 execution context: registers, an address space and an instruction counter."""

    def __init__(self, name: str = "cpu0", *, native_counter: bool | None = None) -> None:
        self.name = name
        self.uc = unicorn.Uc(unicorn.UC_ARCH_ARM, unicorn.UC_MODE_ARM)
        self.uc.ctl_set_cpu_model(arm_const.UC_CPU_ARM_CORTEX_A15)
        self.uc.ctl_set_tcg_buffer_size(TRANSLATION_BUFFER_BYTES)
        self.regs = Registers(self.uc)
        self._handle = handle_of(self.uc)
        self.counter = InstructionCounter(self.uc, native=native_counter)
        self._state = self.counter.state
        self._clock_state = self.counter.clock_state
        self.sites = TimedSites(self.uc, self.counter.state)
        self._stopped_at = (0, 0)  # (PC, CPSR) where the engine last stopped
        self._pending: CpuExit | None = None
        self._fault: CpuExit | None = None
        self._deferred = False
        self.exact_pc: int | None = None  # an instruction re-run alone: its accesses are exact
        self.timed_accesses = 0  # instructions started twice so a timed device saw exact time
        self._stage1 = Stage1FaultReader(self.uc)
        self._watch = CodeWatch(self)
        self.virtual_timer: GenericTimer | None = None
        # Serves a trapped coprocessor access or HVC where it stands, the run going on after
        # it (True), or leaves it to end the run as its exit (False).
        self.serve_in_place: Callable[[CpuExit], bool] | None = None
        self.regs.set_sys(CNTHCTL, 0)  # physical counter/timer accesses trap: the board emulates
        self._reset_state = self.uc.context_save()  # registers and CP15 after a reset
        # The trap hooks are called from C (``engine_calls.add_hook``), not through the
        # bindings' ctypes wrappers; the engine's Uc keeps them, as it keeps MMIO callbacks.
        add_hook(self.uc, self._handle, unicorn.UC_HOOK_INTR, self._on_interrupt)
        add_hook(self.uc, self._handle, unicorn.UC_HOOK_INSN_INVALID, self._on_invalid)
        self.uc.hook_add(unicorn.UC_HOOK_MEM_UNMAPPED, self._on_unmapped)
        self.uc.hook_add(unicorn.UC_HOOK_MEM_PROT, self._on_protection)

    # -- address space -----------------------------------------------------------------------

    def map_ram(self, address: int, size: int, host_pointer: int, perm: Perm = Perm.ALL) -> None:
        """Map host memory at ``address``: every engine mapping the same pointer shares it."""
        self.uc.mem_map_ptr(address, size, int(perm), host_pointer)

    def map_device(
        self, address: int, size: int, device: MmioDevice, offset: int = 0, *, timed: bool = False
    ) -> None:
        """Route accesses in [address, address + size) to ``device`` at ``offset`` onwards.

        A ``timed`` device sees the exact virtual time of each access (``clock.now()`` at that
        very instruction). Its first attempt at an access stops the engine with no side effect,
        which reveals the exact PC; the instruction then becomes a timed site (see
        ``timed_sites``), whose accesses are served in place with an exact PC from then on.
        Where it cannot be one, the access is re-run as a block of one instruction, during
        which the PC, and so the time, is exact. Other devices see the time at the start of the
        current block, which is deterministic but may be a few instructions early.
        """
        read, write = device_callbacks(self, device, offset, timed=timed)
        mmio_map(self.uc, self._handle, address, size, read, write)  # the Uc keeps the hooks

    def callback_failed(self, error: BaseException) -> None:
        """An exception inside a callback of the engine: stop, and let ``run`` raise it."""
        if self.uc._hook_exception is None:
            self.uc._hook_exception = error
        emu_stop(self._handle)

    def end_run(self) -> None:
        """From inside a callback that served what it stopped at: end the run before the next
        instruction, as a SLICE exit (nothing left to handle)."""
        self._pending = self._here(ExitKind.SLICE)
        emu_stop(self._handle)

    def defer_access(self) -> None:
        """From a timed access without an exact PC: abandon the instruction, to re-run it."""
        self.timed_accesses += 1
        self._deferred = True
        emu_stop(self._handle)  # abandons the instruction: it is re-run with an exact PC

    def unmap(self, address: int, size: int) -> None:
        """Remove a mapping."""
        self.uc.mem_unmap(address, size)

    def keep_reset_state(self) -> None:
        """Remember the registers (CP15 included) as they are now as this core's reset state."""
        self._reset_state = self.uc.context_save()

    def reset(self) -> None:
        """Every register back to the kept reset state; translations and TLB forgotten."""
        self.uc.context_restore(self._reset_state)
        self.uc.ctl(unicorn.UC_CTL_TLB_FLUSH, unicorn.UC_CTL_IO_WRITE)
        self.flush_code()

    def flush_code(self) -> None:
        """Forget translated code after memory was written from outside the guest."""
        self.uc.ctl_flush_tb()
        self.counter.forget_code()

    def watch_code(self, begin: int, end: int) -> Callable[[], None]:
        """Stop with a WATCHED exit before any instruction in [begin, end] executes, except the
        next one now and after each such stop (so a run resumes past it, as a debugger's
        continue or step does). Returns the function that unwatches.

        A debugger's breakpoints and single steps: nothing is written into guest memory, and
        the count of retired instructions stays exact, so timing is not changed.
        """
        return self._watch.watch(begin, end)

    def stop_with(self, exit: CpuExit) -> None:
        """From inside a hook: end the run before the current instruction with ``exit``."""
        self._pending = exit
        emu_stop(self._handle)

    # -- running -----------------------------------------------------------------------------

    def retired(self) -> int:
        """Instructions retired so far (exact, also from inside an MMIO callback)."""
        return self.counter.retired_before(self.regs.pc)

    def elapsed_units(self) -> int:
        """Time units of the instructions retired so far (exact, as ``retired``)."""
        state = self._state
        if not state.block_size:  # no block under way (a trap rewound it): no PC needed
            units: int = state.units
            return units
        return self.counter.units_before(self.regs.pc)

    def run(self, *, budget: int, soft_limit: int = NO_LIMIT, watch_irq: bool = False) -> CpuExit:
        """Execute until the time units reach ``budget`` or something happens.

        The run stops at the first instruction boundary at or after ``budget`` units (exactly
        at it when every instruction costs one unit). ``soft_limit`` ends the run at the first
        block boundary at or after that many instructions;
        ``watch_irq`` ends it as soon as the guest clears CPSR.I.
        """
        state = self._state
        self.counter.arm(budget, soft_limit, watch_irq)
        result = self._emulate(NEVER_REACHED)
        if result is not None:
            return result
        # Instructions are left to run before the budget inside the block the hook refused,
        # unless the counter finished the budget inside the engine (``finishing``). The budget
        # is the counter's: charges made during the run may have lowered it.
        if state.stop_reason == _BUDGET_STOP and state.budget > state.units and not state.finishing:
            return self._finish_budget()
        return self._stopped()

    def _stopped(self) -> CpuExit:
        """The exit of a run that ended without an exception, by why the hook stopped it (the
        engine stops by itself only at a WFI)."""
        pc, cpsr = self._stopped_at
        kind = _EXIT_BY_STOP.get(self._state.stop_reason, ExitKind.WFI)
        return CpuExit(kind, pc, bool(cpsr & CPSR_T))

    def _finish_budget(self) -> CpuExit:
        """Run the instructions that start before the budget inside the block the hook refused."""
        counter, state = self.counter, self._state
        remaining_units = state.budget - state.units
        pc, cpsr = self._stopped_at
        thumb = bool(cpsr & CPSR_T)
        remaining = 0
        spent = 0
        while spent < remaining_units:
            spent += counter.unit_at(pc + 4 * remaining, thumb)
            remaining += 1
        state.budget = counter.units + spent  # the last one may end beyond budget
        if thumb:
            code = read_code(self.uc, pc, 4 * remaining)
            until = thumb_instruction_address(code, pc, remaining)
        else:
            until = pc + 4 * remaining
        # The block is already translated in full; drop it so Unicorn translates one that ends
        # at ``until`` (an exit inside a cached block would not be seen).
        self._remove_cache(pc, until)
        state.stop_reason = StopReason.NONE
        result = self._emulate(until)
        if result is not None:
            return result
        if state.stop_reason == _NO_STOP:
            pc, cpsr = self._stopped_at
            if pc == until:
                return CpuExit(ExitKind.BUDGET, pc, bool(cpsr & CPSR_T))
        return self._stopped()  # a stop request or an unmask inside those instructions

    def _emulate(self, until: int) -> CpuExit | None:
        state, sites = self._state, self.sites
        site = sites.state
        while True:
            self._forget_outcome()
            self._deferred = False
            try:
                self._start(until)
            except unicorn.UcError as error:
                sites.take_stop()
                return self._after_error(error)
            stopped = (site.stopped or site.stop_next) and sites.take_stop()  # (a call if need be)
            if stopped and self._pending is None and not self._deferred:
                self.timed_accesses += 1  # the next instruction was started, then abandoned
                pc = self._stopped_at[0]
                self.counter.rewind_to(pc)
                if state.stop_reason != _NO_STOP or pc == until:
                    return None
                continue  # the next block's checks see the limits the access changed
            if not self._deferred:
                return self._pending
            result = self._rerun_timed_access(until)
            if result is not None or state.stop_reason != _NO_STOP:
                return result
            if self._stopped_at[0] == until:
                return None

    def _forget_outcome(self) -> None:
        """Before the engine runs: no exit or fault yet. (A method, not assignments in the
        caller: there, the type checker, and the compiled code after it, would take
        ``_pending`` for None even after the run, whose hooks set it.)"""
        self._pending = None
        self._fault = None

    def _start(self, until: int) -> None:
        """Run the engine from the current PC (``engine_calls.run``), resumed each time the hook
        stopped it to mirror a timer write; keeps where it stopped in ``_stopped_at``."""
        state = self._state
        while True:
            self._stopped_at = at = run(self.uc, self._handle, until, self._clock_state)
            if state.stop_reason != _TIMER_WRITE_STOP:
                return
            state.stop_reason = StopReason.NONE
            self.mirror_virtual_timer()
            if at[0] == until:
                return

    def _rerun_timed_access(self, until: int) -> CpuExit | None:
        """Make the abandoned instruction a timed site, or run it alone, for an exact PC."""
        pc, cpsr = self._stopped_at
        thumb = bool(cpsr & CPSR_T)
        self.counter.rewind_to(pc)
        if self.sites.add(pc):
            self._remove_cache(pc, pc + FOLLOWER_SPAN + 1)  # retranslate with the hook
            return None  # the caller resumes at ``pc``
        if thumb:
            width = 4 if is_wide_thumb(int.from_bytes(read_code(self.uc, pc, 2), "little")) else 2
        else:
            width = 4
        self._remove_cache(pc, pc + width)
        self.exact_pc = pc
        self._forget_outcome()
        try:
            self._start(min(pc + width, until))
        except unicorn.UcError as error:
            return self._after_error(error)
        finally:
            self.exact_pc = None
        return self._pending

    def attach_virtual_timer(self, timer: GenericTimer) -> None:
        """Let ``timer`` mirror this engine's virtual timer, which the guest runs natively.

        The engine computes CNTVCT, TVAL and ISTATUS itself (on virtual time, see
        ``InstructionCounter.keep_time``); ``timer`` raises the interrupt at CVAL. A write to
        a CNTV register ends its block, and the block hook stops before the next one, so
        ``timer`` takes the new CTL/CVAL right after the writing instruction; when the timer
        fires, the engine's ISTATUS is set to match.
        """
        self.virtual_timer = timer
        timer.on_virtual_update(lambda ctl: self.regs.set_sys(CNTV_CTL, ctl))
        self.mirror_virtual_timer()

    def mirror_virtual_timer(self) -> None:
        """Bring the virtual timer model (and the engine's CTL, CVAL) up to the guest's writes
        (``mirror_virtual_timer`` in ``virtual_timer_mirror.py``)."""
        if self.virtual_timer is not None:
            mirror_virtual_timer(self.virtual_timer, self.regs, self.counter.state, self.uc)

    def _remove_cache(self, begin: int, end: int) -> None:
        """Drop the translations of [begin, end) (the engine's ``ctl_remove_cache``)."""
        remove_cache(self._handle, begin, end)

    def _here(self, kind: ExitKind) -> CpuExit:
        pc, cpsr = self.regs.pc_and_cpsr()
        return CpuExit(kind, pc, bool(cpsr & CPSR_T))

    # -- hooks ---------------------------------------------------------------------------------

    def _on_interrupt(self, intno: int) -> None:
        pc, cpsr = self.regs.pc_and_cpsr()
        thumb = bool(cpsr & CPSR_T)
        self._pending = interrupt_exit(intno, pc, thumb, self.counter, self.regs, self._stage1)
        emu_stop(self._handle)

    def _on_invalid(self) -> bool:
        pc, cpsr = self.regs.pc_and_cpsr()
        thumb = bool(cpsr & CPSR_T)
        # An UNDEF sets the syndrome and leaves PC at the instruction; WFE and YIELD leave it
        # clear and PC after the hint. Clear it after each use, so that none goes stale.
        syndrome = self.regs.syndrome()
        if syndrome == 0 and follows_hint(self.uc, pc, thumb):
            self.counter.rewind_to(pc)
            return True  # WFE and YIELD are hints: executing them as NOPs is architectural
        self.counter.rewind_to(pc)
        word = instruction_at(self.uc, pc, thumb)
        hvc = None if word is None else decode_hvc(word, thumb)
        access = None if word is None or hvc is not None else decode_coprocessor(word, thumb)
        if hvc is not None and cpsr & CPSR_MODE_MASK == Mode.USR:
            self._pending = CpuExit(ExitKind.UNDEFINED, pc, thumb)  # HVC is UNDEFINED at PL0
        elif hvc is not None or access is not None:
            if hvc is not None:
                exit = CpuExit(ExitKind.HVC, pc, thumb, hvc_imm=hvc)
            else:
                exit = CpuExit(ExitKind.COPROCESSOR, pc, thumb, coprocessor=access)
            serve = self.serve_in_place
            if serve is not None and serve(exit):
                return True  # served, PC moved on: the engine goes on there (or ``end_run``)
            self._pending = exit
        else:
            self._pending = CpuExit(ExitKind.UNDEFINED, pc, thumb)
        emu_stop(self._handle)
        return True

    def _on_unmapped(
        self, uc: Uc, access: int, address: int, size: int, value: int, _d: object
    ) -> bool:
        self._fault = memory_fault_exit(access, address, size, value, self.regs, unmapped=True)
        return False

    def _on_protection(
        self, uc: Uc, access: int, address: int, size: int, value: int, _d: object
    ) -> bool:
        self._fault = memory_fault_exit(access, address, size, value, self.regs, unmapped=False)
        return False

    def _after_error(self, error: unicorn.UcError) -> CpuExit:
        fault = self._fault
        if fault is None:
            raise error
        pc = self.regs.pc
        self.counter.rewind_to(pc)
        return fault_exit_at(fault, pc)
