"""The GICv2 distributor (GICD): interrupt state, routing and prioritisation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain
from typing import Final

from rthv.board.gic import regs
from rthv.board.gic.distributor_fields import bind_distributor_fields
from rthv.board.gic.input_line import InputLine
from rthv.board.gic.regs import (
    BANKED_COUNT,
    BYTE_BITS,
    BYTE_MASK,
    SGI_COUNT,
    BoundGroup,
    find_group,
)
from rthv.board.signal import Signal


@dataclass(slots=True)
class IrqState:
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


class PendingInterrupt:
    """A forwardable interrupt: ID, source CPU (SGIs only, else 0) and priority; not changed
    once made. (A plain class, not a dataclass: one is made at nearly every device IRQ, and a
    compiled class's own ``__init__`` is a C call where a dataclass's generated one is Python.)"""

    __slots__ = ("irq", "priority", "source")

    def __init__(self, irq: int, source: int, priority: int) -> None:
        self.irq = irq
        self.source = source
        self.priority = priority

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PendingInterrupt):
            return NotImplemented
        return (self.irq, self.source, self.priority) == (other.irq, other.source, other.priority)

    def __hash__(self) -> int:
        return hash((self.irq, self.source, self.priority))

    def __repr__(self) -> str:
        return f"PendingInterrupt(irq={self.irq}, source={self.source}, priority={self.priority})"


_UNKNOWN: Final = PendingInterrupt(-1, 0, 0)  # no highest pending interrupt kept: scan


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
        self._enabled_irqs: dict[int, list[tuple[int, IrqState]]] = {}  # per CPU, while unchanged
        # Per CPU, the highest pending interrupt as last found, until the next ``_changed``:
        # every change that can move it notifies (which is what the CPU interfaces rely on).
        self._highest: dict[int, PendingInterrupt | None] = {}
        self._banked = [
            [self._fresh(i, cpu) for i in range(BANKED_COUNT)] for cpu in range(num_cpus)
        ]
        self._shared = [self._fresh(i, 0) for i in range(BANKED_COUNT, num_irqs)]
        self._lines: dict[tuple[int, int], InputLine] = {}
        self._listeners: list[Callable[[], None]] = []
        self._groups = tuple(
            bind_distributor_fields(
                self, cpu, enabled_irqs=self._enabled_irqs, cpu_mask=self._cpu_mask
            )
            for cpu in range(num_cpus)
        )

    @staticmethod
    def _fresh(irq: int, cpu: int) -> IrqState:
        state = IrqState(edge=irq < SGI_COUNT)
        if irq < BANKED_COUNT:
            state.targets = 1 << cpu
        return state

    # ---------------------------------------------------------------- state helpers

    def irq_state(self, irq: int, cpu: int) -> IrqState:
        """The state of ``irq`` (``cpu``'s own copy for IDs below 32)."""
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
    def _forwardable(state: IrqState) -> bool:
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
        return self.irq_state(irq, cpu).enabled

    def set_enabled(self, irq: int, enabled: bool, cpu: int = 0) -> None:
        """Enable or disable ``irq``."""
        self.irq_state(irq, cpu).enabled = enabled
        self._enabled_irqs.clear()
        self._changed()

    def priority(self, irq: int, cpu: int = 0) -> int:
        """Priority byte of ``irq`` (unimplemented low bits read as zero)."""
        return self.irq_state(irq, cpu).priority

    def set_priority(self, irq: int, priority: int, cpu: int = 0) -> None:
        """Set the priority of ``irq``; unimplemented low bits are dropped."""
        self.irq_state(irq, cpu).priority = priority & self.priority_mask
        self._changed()

    def targets(self, irq: int, cpu: int = 0) -> int:
        """CPU target mask of ``irq`` (banked interrupts target their own CPU only)."""
        return self.irq_state(irq, cpu).targets

    def set_targets(self, irq: int, targets: int) -> None:
        """Set the CPU target mask of SPI ``irq``; banked interrupts ignore this."""
        if irq >= BANKED_COUNT:
            self.irq_state(irq, 0).targets = targets & self._cpu_mask
            self._changed()

    def is_edge(self, irq: int, cpu: int = 0) -> bool:
        """Whether ``irq`` is edge-triggered (False: level-sensitive)."""
        return self.irq_state(irq, cpu).edge

    def set_edge(self, irq: int, edge: bool, cpu: int = 0) -> None:
        """Configure ``irq`` as edge-triggered or level-sensitive (SGIs stay edge)."""
        if irq >= SGI_COUNT:
            self.irq_state(irq, cpu).edge = edge
            self._changed()

    def is_pending(self, irq: int, cpu: int = 0) -> bool:
        """Whether ``irq`` is pending (from any source, for SGIs)."""
        return self.irq_state(irq, cpu).pending

    def set_pending(self, irq: int, pending: bool, cpu: int = 0, source: int = 0) -> None:
        """Set or clear the pending latch (for SGIs: the bit of ``source``)."""
        state = self.irq_state(irq, cpu)
        if irq < SGI_COUNT:
            bit = 1 << source
            state.sgi_sources = state.sgi_sources | bit if pending else state.sgi_sources & ~bit
        else:
            state.latch = pending
        if self._forwardable(state):
            self._changed()

    def is_active(self, irq: int, cpu: int = 0) -> bool:
        """Whether ``irq`` is active."""
        return self.irq_state(irq, cpu).active

    def set_active(self, irq: int, active: bool, cpu: int = 0) -> None:
        """Set or clear the active state of ``irq``."""
        state = self.irq_state(irq, cpu)
        if state.active == active:
            return
        state.active = active
        if state.enabled and state.pending:  # else it is not forwarded either way
            self._changed()

    def deactivate(self, irq: int, cpu: int = 0) -> None:
        """Clear the active state of ``irq`` (EOI/DIR); out-of-range IDs are ignored."""
        if not 0 <= irq < self.num_irqs:
            return
        state = self.irq_state(irq, cpu)
        if state.active:  # (``set_active``, with the ID known to be in range)
            state.active = False
            if state.enabled and state.pending:
                self._changed()

    def pending_sgi_sources(self, sgi: int, cpu: int = 0) -> int:
        """Bit mask of the CPUs that have SGI ``sgi`` pending on ``cpu``."""
        return self.irq_state(sgi, cpu).sgi_sources

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
        self.drive(irq, self.irq_state(irq, cpu), level)

    def drive(self, irq: int, state: IrqState, level: bool) -> None:
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
    def _compete(irq: int, state: IrqState, highest: dict[int, PendingInterrupt | None]) -> None:
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
        state = self.irq_state(irq, cpu)
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
        best: IrqState | None = None
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
                continue  # not pending (``IrqState.pending``, inlined: a scan per GIC change)
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
        state = self.irq_state(irq, cpu)
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
