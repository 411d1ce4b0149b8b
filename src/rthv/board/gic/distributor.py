"""The GICv2 distributor (GICD): interrupt state, routing and prioritisation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain

from rthv.board.gic import regs
from rthv.board.gic.regs import (
    BANKED_COUNT,
    BYTE_BITS,
    BYTE_MASK,
    SGI_COUNT,
    BoundGroup,
    FieldGetter,
    FieldPutter,
    bind_fields,
    find_group,
)
from rthv.board.signal import Signal


@dataclass(slots=True)
class _Irq:
    """The state of one interrupt (one CPU's copy for banked interrupts)."""

    enabled: bool = False
    latch: bool = False  # edge-detected or software-set pending flip-flop
    line: bool = False  # current level of the input wire
    active: bool = False
    priority: int = 0
    targets: int = 0
    edge: bool = False
    sgi_sources: int = 0  # SGIs: one pending bit per source CPU

    @property
    def pending(self) -> bool:
        """Pending state as the architecture defines it."""
        return self.latch or self.sgi_sources != 0 or (self.line and not self.edge)


@dataclass(frozen=True, slots=True)
class PendingInterrupt:
    """A forwardable interrupt: ID, source CPU (SGIs only, else 0) and priority."""

    irq: int
    source: int
    priority: int


_UNKNOWN = PendingInterrupt(-1, 0, 0)  # no highest pending interrupt kept: scan


class InputLine(Signal):
    """The wire into one PPI/SPI: a change of level goes straight to that interrupt's state
    (``GicDistributor.set_input``, with the interrupt already looked up), then to any other
    listener."""

    def __init__(self, name: str, distributor: GicDistributor, irq: int, state: _Irq) -> None:
        super().__init__(name)
        self._distributor = distributor
        self._irq = irq
        self._state = state

    def set(self, level: bool) -> None:
        """Drive the wire to ``level``: a rising edge latches an edge-triggered interrupt."""
        if level == self.level:
            return
        self.level = level
        self._distributor.drive(self._irq, self._state, level)
        for listener in self._listeners:
            listener(level)


class GicDistributor:
    """GICv2 distributor without Security Extensions: every interrupt is in Group 0.

    MMIO accesses through ``read``/``write`` act as CPU 0; other CPUs use ``read_as``/``write_as``
    or a per-CPU ``view``. IGROUPR is RAZ/WI and GICD_CTLR implements only the enable bit.
    """

    def __init__(self, num_irqs: int, num_cpus: int = 1, priority_bits: int = 5) -> None:
        if not BANKED_COUNT <= num_irqs <= regs.MAX_IRQS:
            raise ValueError(f"num_irqs must be in {BANKED_COUNT}..{regs.MAX_IRQS}, got {num_irqs}")
        if not 1 <= num_cpus <= regs.MAX_CPUS:
            raise ValueError(f"num_cpus must be in 1..{regs.MAX_CPUS}, got {num_cpus}")
        if not 4 <= priority_bits <= BYTE_BITS:
            raise ValueError(f"priority_bits must be in 4..8, got {priority_bits}")
        self.num_irqs = num_irqs
        self.num_cpus = num_cpus
        self.priority_bits = priority_bits
        self.priority_mask = (BYTE_MASK << (BYTE_BITS - priority_bits)) & BYTE_MASK
        self._cpu_mask = (1 << num_cpus) - 1
        self._enabled = False
        self._enabled_irqs: dict[int, list[tuple[int, _Irq]]] = {}  # per CPU, while unchanged
        # Per CPU, the highest pending interrupt as last found, until the next ``_changed``:
        # every change that can move it notifies (which is what the CPU interfaces rely on).
        self._highest: dict[int, PendingInterrupt | None] = {}
        self._banked = [
            [self._fresh(i, cpu) for i in range(BANKED_COUNT)] for cpu in range(num_cpus)
        ]
        self._shared = [self._fresh(i, 0) for i in range(BANKED_COUNT, num_irqs)]
        self._lines: dict[tuple[int, int], InputLine] = {}
        self._listeners: list[Callable[[], None]] = []
        self._groups = tuple(self._bind_fields(cpu) for cpu in range(num_cpus))

    @staticmethod
    def _fresh(irq: int, cpu: int) -> _Irq:
        state = _Irq(edge=irq < SGI_COUNT)
        if irq < BANKED_COUNT:
            state.targets = 1 << cpu
        return state

    # ---------------------------------------------------------------- state helpers

    def _irq(self, irq: int, cpu: int) -> _Irq:
        if not 0 <= irq < self.num_irqs:
            raise ValueError(f"interrupt {irq} out of range 0..{self.num_irqs - 1}")
        if irq < BANKED_COUNT:
            if not 0 <= cpu < self.num_cpus:
                raise ValueError(f"cpu {cpu} out of range 0..{self.num_cpus - 1}")
            return self._banked[cpu][irq]
        return self._shared[irq - BANKED_COUNT]

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` after every state change that can change which interrupt is
        forwarded (CPU interfaces re-evaluate outputs)."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        self._highest.clear()
        for listener in self._listeners:
            listener()

    @staticmethod
    def _forwardable(state: _Irq) -> bool:
        """Whether a change of ``state``'s pending status alone can change what is forwarded:
        never for a disabled or an active interrupt (``highest_pending_interrupt`` skips
        both). Interrupt lines fall and rise under active interrupts at every device IRQ."""
        return state.enabled and not state.active

    # ---------------------------------------------------------------- programmatic API

    @property
    def enabled(self) -> bool:
        """GICD_CTLR.Enable: whether pending interrupts are forwarded at all."""
        return self._enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        self._enabled = value
        self._changed()

    def is_enabled(self, irq: int, cpu: int = 0) -> bool:
        """Whether ``irq`` is enabled (``cpu`` selects the bank for IDs below 32)."""
        return self._irq(irq, cpu).enabled

    def set_enabled(self, irq: int, enabled: bool, cpu: int = 0) -> None:
        """Enable or disable ``irq``."""
        self._irq(irq, cpu).enabled = enabled
        self._enabled_irqs.clear()
        self._changed()

    def priority(self, irq: int, cpu: int = 0) -> int:
        """Priority byte of ``irq`` (unimplemented low bits read as zero)."""
        return self._irq(irq, cpu).priority

    def set_priority(self, irq: int, priority: int, cpu: int = 0) -> None:
        """Set the priority of ``irq``; unimplemented low bits are dropped."""
        self._irq(irq, cpu).priority = priority & self.priority_mask
        self._changed()

    def targets(self, irq: int, cpu: int = 0) -> int:
        """CPU target mask of ``irq`` (banked interrupts target their own CPU only)."""
        return self._irq(irq, cpu).targets

    def set_targets(self, irq: int, targets: int) -> None:
        """Set the CPU target mask of SPI ``irq``; banked interrupts ignore this."""
        if irq >= BANKED_COUNT:
            self._irq(irq, 0).targets = targets & self._cpu_mask
            self._changed()

    def is_edge(self, irq: int, cpu: int = 0) -> bool:
        """Whether ``irq`` is edge-triggered (False: level-sensitive)."""
        return self._irq(irq, cpu).edge

    def set_edge(self, irq: int, edge: bool, cpu: int = 0) -> None:
        """Configure ``irq`` as edge-triggered or level-sensitive (SGIs stay edge)."""
        if irq >= SGI_COUNT:
            self._irq(irq, cpu).edge = edge
            self._changed()

    def is_pending(self, irq: int, cpu: int = 0) -> bool:
        """Whether ``irq`` is pending (from any source, for SGIs)."""
        return self._irq(irq, cpu).pending

    def set_pending(self, irq: int, pending: bool, cpu: int = 0, source: int = 0) -> None:
        """Set or clear the pending latch (for SGIs: the bit of ``source``)."""
        state = self._irq(irq, cpu)
        if irq < SGI_COUNT:
            bit = 1 << source
            state.sgi_sources = state.sgi_sources | bit if pending else state.sgi_sources & ~bit
        else:
            state.latch = pending
        if self._forwardable(state):
            self._changed()

    def is_active(self, irq: int, cpu: int = 0) -> bool:
        """Whether ``irq`` is active."""
        return self._irq(irq, cpu).active

    def set_active(self, irq: int, active: bool, cpu: int = 0) -> None:
        """Set or clear the active state of ``irq``."""
        state = self._irq(irq, cpu)
        if state.active == active:
            return
        state.active = active
        if state.enabled and state.pending:  # else it is not forwarded either way
            self._changed()

    def deactivate(self, irq: int, cpu: int = 0) -> None:
        """Clear the active state of ``irq`` (EOI/DIR); out-of-range IDs are ignored."""
        if not 0 <= irq < self.num_irqs:
            return
        state = self._irq(irq, cpu)
        if state.active:  # (``set_active``, with the ID known to be in range)
            state.active = False
            if state.enabled and state.pending:
                self._changed()

    def pending_sgi_sources(self, sgi: int, cpu: int = 0) -> int:
        """Bit mask of the CPUs that have SGI ``sgi`` pending on ``cpu``."""
        return self._irq(sgi, cpu).sgi_sources

    def send_sgi(self, sgi: int, targets: int, source: int = 0) -> None:
        """Make SGI ``sgi`` pending from ``source`` on every CPU in the ``targets`` mask."""
        for cpu in range(self.num_cpus):
            if targets >> cpu & 1:
                self._banked[cpu][sgi].sgi_sources |= 1 << source
        self._changed()

    def set_input(self, irq: int, level: bool, cpu: int = 0) -> None:
        """Drive the input wire of PPI/SPI ``irq`` (``cpu`` selects the PPI bank)."""
        if irq < SGI_COUNT:
            raise ValueError(f"interrupt {irq} is an SGI and has no input line")
        self.drive(irq, self._irq(irq, cpu), level)

    def drive(self, irq: int, state: _Irq, level: bool) -> None:
        """``set_input`` for an interrupt already looked up (what an ``InputLine`` holds).

        The highest pending interrupts kept stay kept where the change cannot move them, and
        a line that makes its interrupt pending only competes with them: it is the line of
        every device IRQ, and the CPU interfaces ask again at once."""
        was_pending = state.latch or (state.line and not state.edge)  # (no SGI has a line)
        if level and not state.line and state.edge:
            state.latch = True
        state.line = level
        if not state.enabled or state.active:  # not ``_forwardable``: it cannot matter
            return
        highest = self._highest
        if state.latch or (level and not state.edge):
            if not was_pending and self._enabled:
                self._compete(irq, state, highest)
        elif was_pending:
            for cpu, best in list(highest.items()):
                if best is not None and best.irq == irq:
                    del highest[cpu]  # (also another CPU's banked ``irq``: found afresh)
        for listener in self._listeners:
            listener()

    @staticmethod
    def _compete(irq: int, state: _Irq, highest: dict[int, PendingInterrupt | None]) -> None:
        """Let ``irq``, just pending, displace each kept highest pending interrupt it beats
        (a lower priority value, or the same and a lower ID, as the scan decides ties)."""
        for cpu, best in highest.items():
            if not state.targets >> cpu & 1:
                continue
            if (
                best is None
                or state.priority < best.priority
                or (state.priority == best.priority and irq < best.irq)
            ):
                highest[cpu] = PendingInterrupt(irq, 0, state.priority)

    def input_line(self, irq: int, cpu: int = 0) -> Signal:
        """The wire a device drives to raise PPI/SPI ``irq`` (one Signal per line)."""
        if irq < SGI_COUNT:
            raise ValueError(f"interrupt {irq} is an SGI and has no input line")
        state = self._irq(irq, cpu)
        key = (irq, cpu if irq < BANKED_COUNT else 0)
        line = self._lines.get(key)
        if line is None:
            name = f"gicd.irq{irq}" + (f".cpu{key[1]}" if irq < BANKED_COUNT else "")
            line = self._lines[key] = InputLine(name, self, irq, state)
        return line

    def highest_pending_interrupt(self, cpu: int) -> PendingInterrupt | None:
        """The interrupt the distributor forwards to ``cpu`` (lowest ID/source wins ties)."""
        best = self._highest.get(cpu, _UNKNOWN)
        if best is _UNKNOWN:
            best = self._highest[cpu] = self.scan_highest_pending(cpu)
        return best

    def scan_highest_pending(self, cpu: int) -> PendingInterrupt | None:
        """``highest_pending_interrupt`` found afresh from every interrupt's state."""
        if not self._enabled:
            return None
        best: _Irq | None = None
        best_irq = 0
        bit = 1 << cpu
        enabled = self._enabled_irqs.get(cpu)
        if enabled is None:  # only enabled IRQs can be forwarded: scan those, in ID order
            everything = enumerate(chain(self._banked[cpu], self._shared))
            enabled = self._enabled_irqs[cpu] = [(i, s) for i, s in everything if s.enabled]
        for irq, state in enabled:
            if state.active or not state.targets & bit:
                continue
            if not (state.latch or state.sgi_sources or (state.line and not state.edge)):
                continue  # not pending (``_Irq.pending``, inlined: a scan per GIC change)
            if best is not None and state.priority >= best.priority:
                continue
            best, best_irq = state, irq
        if best is None:
            return None
        source = 0
        if best_irq < SGI_COUNT:
            source = (best.sgi_sources & -best.sgi_sources).bit_length() - 1
        return PendingInterrupt(best_irq, source, best.priority)

    def highest_pending(self, cpu: int = 0) -> tuple[int, int] | None:
        """``(irq, priority)`` of the interrupt forwarded to ``cpu``, or None."""
        best = self.highest_pending_interrupt(cpu)
        return None if best is None else (best.irq, best.priority)

    def acknowledge(self, irq: int, cpu: int = 0, source: int = 0) -> None:
        """Acknowledge ``irq`` for ``cpu``: clear its pending flip-flop and make it active."""
        state = self._irq(irq, cpu)
        if irq < SGI_COUNT:
            state.sgi_sources &= ~(1 << source)
        else:
            state.latch = False
        state.active = True
        self._changed()

    # ---------------------------------------------------------------- MMIO

    def view(self, cpu: int) -> GicDistributorView:
        """An MMIO device that accesses this distributor as CPU ``cpu``."""
        return GicDistributorView(self, cpu)

    def read(self, offset: int, size: int) -> int:
        """MMIO read as CPU 0."""
        return self.read_as(0, offset, size)

    def write(self, offset: int, size: int, value: int) -> None:
        """MMIO write as CPU 0."""
        self.write_as(0, offset, size, value)

    def read_as(self, cpu: int, offset: int, size: int) -> int:
        """MMIO read of ``size`` bytes at ``offset`` performed by CPU ``cpu``."""
        bound = find_group(self._groups[cpu], offset)
        if bound is not None:
            return bound.group.join(offset, size, lambda irq: self._field(bound, irq))
        return regs.read_gicd_fixed(
            offset, enabled=self._enabled, num_irqs=self.num_irqs, num_cpus=self.num_cpus
        )

    def _field(self, bound: BoundGroup, irq: int) -> int:
        return bound.get(irq) if irq < self.num_irqs else 0

    def write_as(self, cpu: int, offset: int, size: int, value: int) -> None:
        """MMIO write of ``size`` bytes at ``offset`` performed by CPU ``cpu``."""
        bound = find_group(self._groups[cpu], offset)
        if bound is not None:
            self._write_fields(bound, offset, size, value)
        elif offset == regs.GICD_CTLR:
            self._enabled = bool(value & regs.GICD_CTLR_ENABLE)
        elif offset == regs.GICD_SGIR:
            sgi = value & regs.SGIR_ID_MASK
            self.send_sgi(sgi, regs.sgir_targets(value, cpu, self._cpu_mask), cpu)
            return  # send_sgi already notified
        else:
            return
        self._changed()

    def _write_fields(self, bound: BoundGroup, offset: int, size: int, value: int) -> None:
        if bound.put is None:
            return
        for irq, field in bound.group.split(offset, size, value):
            if irq < self.num_irqs:
                bound.put(irq, field)

    def _bind_fields(self, cpu: int) -> tuple[BoundGroup, ...]:
        """CPU ``cpu``'s accessors for every GICD field group (banked IDs: its own copy)."""

        def field(attr: str) -> FieldGetter:
            return lambda irq: int(getattr(self._irq(irq, cpu), attr))

        def setter(attr: str, level: bool) -> FieldPutter:
            """Write-1-to-set/clear; SGI pending bits are read-only here (GICv2)."""

            def put(irq: int, value: int) -> None:
                if value and not (attr == "latch" and irq < SGI_COUNT):
                    setattr(self._irq(irq, cpu), attr, level)
                    if attr == "enabled":
                        self._enabled_irqs.clear()

            return put

        def put_priority(irq: int, value: int) -> None:
            self._irq(irq, cpu).priority = value & self.priority_mask

        def get_targets(irq: int) -> int:
            return (1 << cpu) if irq < BANKED_COUNT else self._irq(irq, cpu).targets

        def put_targets(irq: int, value: int) -> None:
            if irq >= BANKED_COUNT:
                self._irq(irq, cpu).targets = value & self._cpu_mask

        def get_config(irq: int) -> int:
            return regs.ICFGR_EDGE if self._irq(irq, cpu).edge else 0

        def put_config(irq: int, value: int) -> None:
            if irq >= SGI_COUNT:
                self._irq(irq, cpu).edge = bool(value & regs.ICFGR_EDGE)

        def sgis(level: bool) -> FieldPutter:
            def put(irq: int, value: int) -> None:
                state = self._irq(irq, cpu)
                mask = value & self._cpu_mask
                state.sgi_sources = state.sgi_sources | mask if level else state.sgi_sources & ~mask

            return put

        return bind_fields(
            {
                "group": (lambda irq: 0, None),
                "set_enable": (field("enabled"), setter("enabled", True)),
                "clear_enable": (field("enabled"), setter("enabled", False)),
                "set_pending": (field("pending"), setter("latch", True)),
                "clear_pending": (field("pending"), setter("latch", False)),
                "set_active": (field("active"), setter("active", True)),
                "clear_active": (field("active"), setter("active", False)),
                "priority": (field("priority"), put_priority),
                "targets": (get_targets, put_targets),
                "config": (get_config, put_config),
                "clear_sgi_pending": (field("sgi_sources"), sgis(False)),
                "set_sgi_pending": (field("sgi_sources"), sgis(True)),
            }
        )


class GicDistributorView:
    """The distributor as seen by one CPU: banked registers resolve to that CPU's copy."""

    def __init__(self, distributor: GicDistributor, cpu: int) -> None:
        self.distributor = distributor
        self.cpu = cpu

    def read(self, offset: int, size: int) -> int:
        """MMIO read as this view's CPU."""
        return self.distributor.read_as(self.cpu, offset, size)

    def write(self, offset: int, size: int, value: int) -> None:
        """MMIO write as this view's CPU."""
        self.distributor.write_as(self.cpu, offset, size, value)
