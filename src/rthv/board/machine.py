"""The board: memory, devices, GIC and one CPU, driven by an exact virtual-time run loop."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Final

from rthv.board.board_wiring import add_device, build_gic
from rthv.board.clock import VirtualClock
from rthv.board.counter import NO_LIMIT
from rthv.board.cpu import CpuCore, Perm
from rthv.board.cpu_exit import CpuExit, ExitKind
from rthv.board.description import BoardDescription
from rthv.board.device import MmioDevice
from rthv.board.events import EventQueue
from rthv.board.exceptions import ExceptionKind, take_exception
from rthv.board.guest_errors import GuestErrorLog
from rthv.board.guest_exceptions import LockupWatch, is_hyp_trap, take_guest_exception
from rthv.board.hyp import Pl2Software
from rthv.board.in_slice_traps import serve_in_slice
from rthv.board.memory import PhysicalMemory, RamRegion
from rthv.board.pl011 import Pl011Uart
from rthv.board.registers import CNTFRQ, CPSR_I, Mode, Reg
from rthv.board.run_result import InterruptRecord, RunResult, StopCause
from rthv.board.signal import Signal
from rthv.board.timing import INSTRUCTION_COUNT, InsnClass, TimingProfile

RESET_CPSR: Final = Mode.SVC | CPSR_I | (1 << 6) | (1 << 8)  # SVC, IRQ/FIQ/async aborts masked
ConsoleSink = Callable[[str, bytes], None]


INTERRUPTS_KEPT: Final = 10_000  # interrupt records kept (observers see every one)
# Exits that only end a run slice (a tuple: its ``in`` compares members by identity first).
_SLICE_ENDS: Final = (ExitKind.BUDGET, ExitKind.SLICE, ExitKind.IRQ_UNMASKED)


@dataclass
class Machine:
    """One board instance: build it from a description, load an image, ``run``."""

    board: BoardDescription
    frequency_hz: int = 1_000_000_000
    cpi: int | Fraction = 1
    native_counter: bool | None = None
    console: ConsoleSink | None = None
    timing: TimingProfile | None = None
    profile: TimingProfile = field(init=False)
    clock: VirtualClock = field(init=False)
    events: EventQueue = field(init=False)
    memory: PhysicalMemory = field(init=False)
    devices: dict[str, MmioDevice] = field(init=False, default_factory=dict)
    interrupts: deque[InterruptRecord] = field(  # the latest INTERRUPTS_KEPT, oldest first
        init=False, default_factory=lambda: deque(maxlen=INTERRUPTS_KEPT)
    )
    interrupt_observers: list[Callable[[InterruptRecord], None]] = field(
        init=False, default_factory=list
    )
    guest_errors: GuestErrorLog = field(init=False, default_factory=GuestErrorLog)
    # Told of each exit that is the guest's own business (PL1), before the board handles it.
    exception_observers: list[Callable[[CpuExit], None]] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        profile = self.timing or INSTRUCTION_COUNT
        self.profile = profile if self.cpi == 1 else profile.with_overrides(cpi=self.cpi)
        self.clock = VirtualClock(self.frequency_hz, self.profile.units_per_cycle)
        self._unit_weights = self.profile.unit_weights()
        self.events = EventQueue()
        # The queue tells of a new event only while a slice runs (it may end the slice sooner):
        # between slices nothing listens, so scheduling calls no hook.
        self._on_schedule = self._event_scheduled
        self.memory = PhysicalMemory()
        self.hyp: Pl2Software | None = None
        self.parked = False  # PL2 software has nothing to run: the CPU sleeps until an event
        # PL2 software's answer, asked when the CPU would sleep until the next event: True when
        # no queued event can ever wake it (the run then stops idle, as with none queued).
        self.sleeps_for_good: Callable[[], bool] | None = None
        self.lockup: str | None = None
        self._stop_requested = False
        self._lockups = LockupWatch()
        self.idle_cycles = 0
        self._running: CpuCore | None = None
        self._served_error: Exception | None = None  # raised by a trap served in a slice
        self._slice_units = 0  # the running core's units when its slice began
        self._deadline = NO_LIMIT
        self._retired_total = 0
        gic = build_gic(self, self._interrupt_line_changed)
        self.gicd, self.gicc, self.gich, self.gicv, self.generic_timer = gic
        for block in self.board.ram:
            self.memory.add_ram(block.name, block.base, block.size)
        self.rom = [self.memory.add_ram(b.name, b.base, b.size) for b in self.board.rom]
        for device in self.board.devices:
            add_device(self, device)
        self.core = self.new_core("cpu0")
        self.core.attach_virtual_timer(self.generic_timer)
        self.map_physical(self.core)

    # -- construction --------------------------------------------------------------------------

    def new_core(self, name: str) -> CpuCore:
        """A fresh execution context in reset state (non-secure SVC, interrupts masked)."""
        core = CpuCore(name, native_counter=self.native_counter)
        core.counter.set_weights(self._unit_weights, mode=self.profile.native_mode)
        core.regs[Reg.CPSR] = RESET_CPSR
        counter_hz = self.board.generic_timer.frequency_hz
        core.regs.set_sys(CNTFRQ, counter_hz)
        core.counter.keep_time(
            cpu_hz=self.frequency_hz,
            units_per_cycle=self.clock.units_per_cycle,
            counter_hz=counter_hz,
        )
        core.serve_in_place = lambda exit: self._serve_in_place(core, exit)
        return core

    def map_physical(self, core: CpuCore) -> None:
        """Give ``core`` the whole physical address map, as a CPU without Stage 2 sees it."""
        for region in self.memory.regions:
            if isinstance(region, RamRegion):
                perm = Perm.READ | Perm.EXEC if region in self.rom else Perm.ALL
                core.map_ram(region.base, region.size, region.host_pointer, perm)
            else:
                core.map_device(region.base, region.size, region.device, timed=region.timed)

    def uart(self, name: str | None = None) -> Pl011Uart:
        """A UART by name (the board's console by default)."""
        device = self.devices[name or self.board.console]
        assert isinstance(device, Pl011Uart)
        return device

    # -- the run loop --------------------------------------------------------------------------

    def reset(self, entry: int) -> None:
        """Point the CPU at ``entry`` (bit 0 set: Thumb) in reset state."""
        self.core.regs[Reg.CPSR] = RESET_CPSR
        self.core.regs.branch(entry, thumb=bool(entry & 1))
        self.core.flush_code()

    def switch_to(self, core: CpuCore) -> None:
        """Make ``core`` the context the physical CPU executes (a world switch)."""
        self.core = core

    @property
    def instructions(self) -> int:
        """Instructions retired by every core so far."""
        return self._retired_total

    def run(self, until: int | None = None, *, max_slice: int | None = None) -> RunResult:
        """Run until virtual time ``until`` (cycles), idleness, or a halt by PL2 software."""
        if max_slice is not None and max_slice < 1:
            raise ValueError(f"slice: {max_slice} instructions; it must be at least 1")
        limit = NO_LIMIT if until is None else until
        self.halted = False
        events = self.events
        heap = events.heap  # its top bounds the next event: most turns find nothing due
        while True:
            now = self.clock.now()
            if self.halted:
                return self._result(StopCause.LOCKUP if self.lockup else StopCause.HALTED)
            if self._stop_requested:
                self._stop_requested = False
                return self._result(StopCause.INTERRUPTED)
            if now >= limit:  # what is due at ``limit`` itself belongs to the next run
                return self._result(StopCause.UNTIL)
            if heap and heap[0][0] <= now:
                events.run_due(now)
            if self._deliver_interrupts(limit):
                continue
            if self.parked:
                if not self.idle_until(limit):
                    return self._result(StopCause.IDLE)
                continue
            deadline = min(events.peek() or NO_LIMIT, limit)
            try:
                exit = self._run_slice(deadline, max_slice)
                error, self._served_error = self._served_error, None
                if error is not None:
                    raise error
                kind = exit.kind
                if kind in _SLICE_ENDS:
                    continue  # nothing to handle: the next turn looks at events and interrupts
                if kind is ExitKind.WATCHED:
                    return self._result(StopCause.WATCHED)
                if kind is ExitKind.WFI and self.hyp is None and not self.gicc.irq_out.level:
                    if not self.idle_until(limit):
                        return self._result(StopCause.IDLE)
                else:
                    self._handle(exit)
            except Exception as error:
                if self.hyp is None:
                    raise
                self.hyp.internal_error(error)  # PL2 stops that guest; the others go on

    def _run_slice(self, deadline: int, max_slice: int | None) -> CpuExit:
        core = self.core
        state = core.counter.state  # read as plain fields: once per slice
        start = state.executed
        start_units = state.units
        clock = self.clock
        budget = NO_LIMIT if deadline == NO_LIMIT else start_units + clock.units_until(deadline)
        soft = NO_LIMIT if max_slice is None else start + max_slice
        # The unmask is watched only while the guest's line is high (CPSR read only then).
        guest_irq = self.gicv.virq_out if self.hyp is not None else self.gicc.irq_out
        watch_irq = guest_irq.level and bool(core.regs.cpsr & CPSR_I)
        self._running, self._slice_units, self._deadline = core, start_units, deadline
        core.counter.set_timebase(clock.start_slice(self._units_in_slice, deadline))
        events = self.events
        events.on_schedule = self._on_schedule
        try:
            exit = core.run(budget=budget, soft_limit=soft, watch_irq=watch_irq)
        finally:
            self._running = None
            events.on_schedule = None
            clock.end_slice(state.units - start_units)
        self._retired_total += state.executed - start
        return exit

    def _end_slice_at(self, core: CpuCore, deadline: int) -> None:
        """Set the running slice's budget so that it ends at ``deadline`` (after a charge moved
        time on, or an event came due sooner)."""
        elapsed = core.elapsed_units()  # the probe's reading, less the slice's start
        gap = self.clock.units_until(deadline, elapsed - self._slice_units)
        core.counter.state.budget = elapsed + gap

    def _units_in_slice(self) -> int:
        """The clock's probe while a slice runs: units the running core retired in it."""
        core = self._running
        assert core is not None
        return core.elapsed_units() - self._slice_units

    def idle_until(self, limit: int) -> bool:
        """Let the CPU sleep until the next event (at most ``limit``); False if none is coming,
        or none that can wake it (``sleeps_for_good``)."""
        upcoming = self.events.peek()
        if upcoming is None:
            return False
        sleeps_for_good = self.sleeps_for_good
        if sleeps_for_good is not None and sleeps_for_good():
            return False
        target = min(upcoming, limit)
        self.idle_cycles += max(0, target - self.clock.now())
        self.clock.advance_to(target)
        return True

    def request_stop(self) -> None:
        """End the current ``run`` at the next block boundary (safe from a signal handler)."""
        self._stop_requested = True
        core = self._running
        if core is not None:
            core.counter.request_stop()

    def charge(self, cycles: int) -> None:
        """Charge work that executes no guest instruction; a running slice keeps its deadline."""
        self.clock.charge(cycles)
        core = self._running
        if core is not None:
            core.counter.charge(cycles)
            self._end_slice_at(core, self._deadline)

    def retire_emulated(self, core: CpuCore, kind: InsnClass = InsnClass.OTHER) -> None:
        """Count one instruction that the board or PL2 software emulated instead of running."""
        units = self._unit_weights[kind]
        core.counter.state.executed += 1
        core.counter.state.units += units
        if core is self._running:
            return  # served inside the slice, which commits its counts as it ends
        self.clock.commit_units(units)
        self._retired_total += 1

    def _serve_in_place(self, core: CpuCore, exit: CpuExit) -> bool:
        """A trapped coprocessor access or HVC inside the running slice: served there, as the
        exit it would otherwise end the slice with is (the same work at the same virtual
        time), so that the slice goes on; False to let it end the slice (``in_slice_traps``).

        An exception while serving ends the slice, which counts as it would for an exit, and
        is raised by the run loop afterwards, as from the exit's handling."""
        if core is not self._running:
            return False
        try:
            return serve_in_slice(self, core, exit)
        except Exception as error:
            self._served_error = error
            core.end_run()
            return True

    def _guest_irq(self) -> Signal:
        return self.gicv.virq_out if self.hyp is not None else self.gicc.irq_out

    def _deliver_interrupts(self, limit: int) -> bool:
        """Take what is pending: a physical IRQ to PL2, then the guest's IRQ. True when the run
        loop is to take another turn; False when the slice (or idling) comes next.

        After a delivery the loop's next turn would find nothing new when ``_quiet``: then the
        delivery goes on in this turn (a physical IRQ, its injection and the guest's IRQ entry
        in one turn, not three). After the guest's IRQ entry, CPSR.I is set: the next turn's
        check of the guest's line could find nothing."""
        hyp = self.hyp
        if hyp is not None and self.gicc.irq_out.level:
            hyp.physical_irq()  # taken to PL2 whatever the guest's CPSR.I (HCR.IMO)
            if not self._quiet(limit):
                return True
        if self.parked:
            return False
        if not (self.gicv.virq_out if hyp is not None else self.gicc.irq_out).level:
            return False  # (the guest's line: ``_guest_irq`` inlined)
        core = self.core
        pc, cpsr = core.regs.pc_and_cpsr()
        if not cpsr & CPSR_I:
            now = self.clock.now()  # the IRQ entry and the observers take no time
            record = InterruptRecord(now, self._retired_total, pc, core.name)
            self.interrupts.append(record)
            for observer in self.interrupt_observers:
                observer(record)
            take_exception(core.regs, ExceptionKind.IRQ, pc, cpsr)
            return not self._quiet(limit, now)
        return False

    def _quiet(self, limit: int, now: int | None = None) -> bool:
        """True when a new turn of the run loop would pass its checks and find nothing due and
        no physical IRQ for PL2: not halted or stopped, before ``limit``, no event due now.
        ``now``: the time, if the caller has just read it."""
        if self.halted or self._stop_requested:
            return False
        if now is None:
            now = self.clock.now()
        if now >= limit:
            return False
        heap = self.events.heap  # (its top is after ``now``: nothing is due, no call)
        if heap and heap[0][0] <= now:
            upcoming = self.events.peek()
            if upcoming is not None and upcoming <= now:
                return False
        return self.hyp is None or not self.gicc.irq_out.level

    def _interrupt_line_changed(self, level: bool) -> None:
        core = self._running
        if core is None:
            return
        if level:
            core.counter.request_stop()
        elif not self._guest_irq().level:
            # The slice watches CPSR.I only to take this line's interrupt at the unmask; with
            # the line low there is nothing to take (a rise stops the slice anyway), so the
            # guest's exception return after its handler's acknowledge runs on.
            core.counter.unwatch_irq()

    def _event_scheduled(self, when: int) -> None:
        core = self._running
        if core is not None and when < self._deadline:
            self._deadline = when
            self._end_slice_at(core, when)

    def _result(self, cause: StopCause) -> RunResult:
        return RunResult(cause, self.clock.now(), self._retired_total, self.idle_cycles)

    # -- exits ---------------------------------------------------------------------------------

    def _handle(self, exit: CpuExit) -> None:
        if self.hyp is not None and is_hyp_trap(exit):
            self.hyp.trap(exit)
            return
        self.handle_guest_exception(self.core, exit)

    def handle_guest_exception(self, core: CpuCore, exit: CpuExit) -> None:
        """What the hardware does for an exit that is the guest's own business (PL1)."""
        for observer in self.exception_observers:
            observer(exit)
        if not self._locked_up(core, exit):
            take_guest_exception(self, core, exit)

    def _locked_up(self, core: CpuCore, exit: CpuExit) -> bool:
        """Detect a guest that takes exception after exception without retiring anything."""
        if not self._lockups.locked_up(core):
            return False
        repeats = (
            "repeats without executing an instruction (is there code at the exception vectors?)"
        )
        if self.hyp is not None:
            self.hyp.lockup(exit, f"{exit.kind.value} {repeats}")
        else:
            self.lockup = f"{exit.kind.value} at pc {exit.pc:#010x} {repeats}"
            self.halted = True
        return True
