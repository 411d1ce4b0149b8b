"""The GICD register file a VM sees: table-driven decoding, RAZ/WI outside the VM's interrupts.

The decoding mirrors the board's ``GicDistributor``: one row per register group (offset range,
bits per interrupt, getter, setter). Every field is checked against the VM's ownership first:
interrupts the VM does not own read as zero and writes to them are ignored (GICv2 allows RAZ/WI
for unimplemented interrupts). An ignored write whose field is non-zero (a set/clear bit, a
priority, a target, a trigger configuration) is a *violation*: the guest tried to touch another
VM's interrupt, and the hypervisor reports it. Read-only rows (IGROUPR) never record one, since
they are RAZ/WI for every interrupt. The state behind the fields lives in a ``GicdBackend``
(the ``VirtualGic``), which applies the GICv2 semantics and the physical mirroring; the
per-interrupt state record it keeps (``VirqState``) is defined here too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from rthv.board.gic import regs
from rthv.board.gic.regs import BYTE_BITS, SGI_COUNT, find_group

VM_CPU_MASK = 0x01  # the VM's single vCPU is CPU interface 0: ITARGETSR/SGIR/SGI source bit
TYPER_CPU_NUMBER = 0  # GICD_TYPER.CPUNumber: one CPU interface (encoded as count - 1)

_Getter = Callable[[int], int]  # irq -> field value
_Putter = Callable[[int, int], None]  # (irq, field value)


class VirqKind(Enum):
    """Where an interrupt the VM owns comes from."""

    BANKED = "banked"  # SGI or PPI, per VM, purely virtual
    PASSTHROUGH = "passthrough"  # SPI of one of the VM's devices, mirrored physically
    VIRTUAL = "virtual"  # SPI raised by the hypervisor only (notify vIRQs)


@dataclass(slots=True)
class VirqState:
    """State of one of the VM's interrupts outside the list registers (see ``VirtualGic``)."""

    irq: int
    kind: VirqKind
    edge: bool
    enabled: bool = False
    pending: bool = False  # pending and not (yet) carried by a list register
    active: bool = False  # active and not carried by a list register (listed at the next flush)
    priority: int = 0
    target: int = VM_CPU_MASK  # last ITARGETSR byte written; the effective target is vCPU 0

    @property
    def hardware(self) -> bool:
        """Whether the interrupt is a passthrough one (HW=1 list registers)."""
        return self.kind is VirqKind.PASSTHROUGH

    def order(self) -> tuple[bool, int, int]:
        """Sort key for list-register placement: active first, then priority, then ID."""
        return (not self.active, self.priority, self.irq)


@dataclass(frozen=True, slots=True)
class GicdViolation:
    """An ignored guest write to a field of an interrupt the VM does not own."""

    offset: int  # GICD offset of the access
    irq: int  # the foreign interrupt
    write_value: int  # the whole value written by the access


class GicdBackend(Protocol):
    """The per-VM interrupt state the register file reads and changes."""

    num_irqs: int

    @property
    def enabled(self) -> bool:
        """GICD_CTLR.Enable of the VM's distributor."""
        ...

    @enabled.setter
    def enabled(self, value: bool) -> None: ...

    def owns(self, irq: int) -> bool:
        """Whether ``irq`` belongs to the VM."""
        ...

    def is_enabled(self, irq: int) -> bool:
        """Enable bit of ``irq``."""
        ...

    def set_enabled(self, irq: int, enabled: bool) -> None:
        """Set or clear the enable bit of ``irq``."""
        ...

    def is_pending(self, irq: int) -> bool:
        """Pending state of ``irq``."""
        ...

    def set_pending(self, irq: int, pending: bool) -> None:
        """Set or clear the pending state of ``irq``."""
        ...

    def is_active(self, irq: int) -> bool:
        """Active state of ``irq``."""
        ...

    def set_active(self, irq: int, active: bool) -> None:
        """Set or clear the active state of ``irq``."""
        ...

    def priority(self, irq: int) -> int:
        """Priority byte of ``irq``."""
        ...

    def set_priority(self, irq: int, priority: int) -> None:
        """Set the priority byte of ``irq``."""
        ...

    def is_edge(self, irq: int) -> bool:
        """Whether ``irq`` is configured edge-triggered."""
        ...

    def set_edge(self, irq: int, edge: bool) -> None:
        """Configure ``irq`` edge-triggered or level-sensitive."""
        ...

    def set_target(self, irq: int, target: int) -> None:
        """Record an ITARGETSR byte written for ``irq``."""
        ...


@dataclass(frozen=True, slots=True)
class RegisterGroup:
    """One row of the register table: a field per interrupt over an offset range."""

    start: int
    end: int
    bits: int
    get: _Getter
    put: _Putter | None  # None: read-only (writes ignored, never a violation)

    def irqs(self, offset: int, size: int) -> range:
        """The interrupts whose fields an access of ``size`` bytes at ``offset`` covers."""
        first = (offset - self.start) * BYTE_BITS // self.bits
        count = max(1, size * BYTE_BITS // self.bits)
        return range(first, first + count)


class GicdRegisterFile:
    """MMIO decoding of one VM's GICD page onto a ``GicdBackend``; records violations."""

    def __init__(self, backend: GicdBackend, violations: list[GicdViolation]) -> None:
        self.backend = backend
        self.violations = violations
        self.ignored_writes = 0
        self._groups = self._build_table()

    def read(self, offset: int, size: int) -> int:
        """Guest read of ``size`` bytes at GICD ``offset``."""
        group = self._find_group(offset)
        if group is not None:
            return self._read_group(group, offset, size)
        if offset == regs.GICD_CTLR:
            return regs.GICD_CTLR_ENABLE if self.backend.enabled else 0
        if offset == regs.GICD_TYPER:
            lines = -(-self.backend.num_irqs // regs.IRQS_PER_LINE_GROUP) - 1
            return lines | TYPER_CPU_NUMBER << regs.TYPER_CPU_NUMBER_SHIFT
        if offset == regs.GICD_IIDR:
            return regs.GICD_IIDR_VALUE
        return regs.GICD_ID_REGISTERS.get(offset, 0)

    def write(self, offset: int, size: int, value: int) -> None:
        """Guest write of ``size`` bytes at GICD ``offset``."""
        group = self._find_group(offset)
        if group is not None:
            self._write_group(group, offset, size, value)
        elif offset == regs.GICD_CTLR:
            self.backend.enabled = bool(value & regs.GICD_CTLR_ENABLE)
        elif offset == regs.GICD_SGIR:
            self._write_sgir(value)

    def _write_sgir(self, value: int) -> None:
        """Only the VM's own vCPU exists: 'self' or a list naming CPU 0 pends the SGI there."""
        sgi = value & regs.SGIR_ID_MASK
        mode = (value >> regs.SGIR_FILTER_SHIFT) & regs.SGIR_FILTER_MASK
        targets = (value >> regs.SGIR_TARGET_LIST_SHIFT) & regs.BYTE_MASK
        to_self = mode == regs.SGIR_FILTER_SELF
        if to_self or (mode == regs.SGIR_FILTER_LIST and targets & VM_CPU_MASK):
            self.backend.set_pending(sgi, True)

    def _find_group(self, offset: int) -> RegisterGroup | None:
        return find_group(self._groups, offset)

    def _read_group(self, group: RegisterGroup, offset: int, size: int) -> int:
        value = 0
        backend = self.backend
        for index, irq in enumerate(group.irqs(offset, size)):
            if irq < backend.num_irqs and backend.owns(irq):
                value |= group.get(irq) << (index * group.bits)
        return value

    def _write_group(self, group: RegisterGroup, offset: int, size: int, value: int) -> None:
        if group.put is None:
            return
        mask = (1 << group.bits) - 1
        backend = self.backend
        for index, irq in enumerate(group.irqs(offset, size)):
            field = (value >> (index * group.bits)) & mask
            if irq >= backend.num_irqs:
                continue  # not implemented at all: RAZ/WI, nobody's interrupt
            if backend.owns(irq):
                group.put(irq, field)
            elif field:
                self.ignored_writes += 1
                self.violations.append(GicdViolation(offset, irq, value))

    def _build_table(self) -> tuple[RegisterGroup, ...]:
        backend = self.backend

        def flag(get: Callable[[int], bool]) -> _Getter:
            return lambda irq: int(get(irq))

        def on_bit(action: Callable[[int, bool], None], level: bool, sgis: bool) -> _Putter:
            """Write-1-to-set/clear; with ``sgis`` False the SGI bits are ignored (GICv2)."""

            def put(irq: int, field: int) -> None:
                if field and (sgis or irq >= SGI_COUNT):
                    action(irq, level)

            return put

        def get_config(irq: int) -> int:
            return regs.ICFGR_EDGE if backend.is_edge(irq) else 0

        def put_config(irq: int, field: int) -> None:
            backend.set_edge(irq, bool(field & regs.ICFGR_EDGE))

        def get_sgi_sources(irq: int) -> int:
            return VM_CPU_MASK if backend.is_pending(irq) else 0

        def sgi_sources(level: bool) -> _Putter:
            def put(irq: int, field: int) -> None:
                if field & VM_CPU_MASK:
                    backend.set_pending(irq, level)

            return put

        bits, bytes_, cfg, sgi = (
            regs.GICD_BIT_BLOCK,
            regs.GICD_BYTE_BLOCK,
            regs.GICD_CFG_BLOCK,
            regs.GICD_SGI_BLOCK,
        )
        enabled, pending = flag(backend.is_enabled), flag(backend.is_pending)
        active = flag(backend.is_active)
        rows: list[tuple[int, int, int, _Getter, _Putter | None]] = [
            (regs.GICD_IGROUPR, bits, 1, lambda irq: 0, None),
            (regs.GICD_ISENABLER, bits, 1, enabled, on_bit(backend.set_enabled, True, True)),
            (regs.GICD_ICENABLER, bits, 1, enabled, on_bit(backend.set_enabled, False, True)),
            (regs.GICD_ISPENDR, bits, 1, pending, on_bit(backend.set_pending, True, False)),
            (regs.GICD_ICPENDR, bits, 1, pending, on_bit(backend.set_pending, False, False)),
            (regs.GICD_ISACTIVER, bits, 1, active, on_bit(backend.set_active, True, True)),
            (regs.GICD_ICACTIVER, bits, 1, active, on_bit(backend.set_active, False, True)),
            (regs.GICD_IPRIORITYR, bytes_, BYTE_BITS, backend.priority, backend.set_priority),
            (regs.GICD_ITARGETSR, bytes_, BYTE_BITS, lambda irq: VM_CPU_MASK, backend.set_target),
            (regs.GICD_ICFGR, cfg, regs.ICFGR_BITS, get_config, put_config),
            (regs.GICD_CPENDSGIR, sgi, BYTE_BITS, get_sgi_sources, sgi_sources(False)),
            (regs.GICD_SPENDSGIR, sgi, BYTE_BITS, get_sgi_sources, sgi_sources(True)),
        ]
        return tuple(RegisterGroup(o, o + n, w, get, put) for o, n, w, get, put in rows)
