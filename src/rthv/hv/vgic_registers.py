"""The GICD register file a VM sees: table-driven decoding, RAZ/WI outside the VM's interrupts.

The layout is the board's, described once in ``rthv.board.gic.regs.GICD_FIELD_GROUPS``; this file
binds the VM's getter and setter to each group by name. Every field is checked against the VM's
ownership first: interrupts the VM does not own read as zero and writes to them are ignored (GICv2
allows RAZ/WI for unimplemented interrupts). An ignored write whose field is non-zero (a set/clear
bit, a priority, a target, a trigger configuration) is a *violation*: the guest tried to touch
another VM's interrupt, and the hypervisor reports it. Read-only rows (IGROUPR) never record one,
since they are RAZ/WI for every interrupt. The state behind the fields lives in a ``GicdBackend``
(the ``VirtualGic``), which applies the GICv2 semantics and the physical mirroring; the per-
interrupt state record it keeps (``VirqState``) is defined here too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Container
from dataclasses import dataclass
from enum import Enum
from typing import Final, Protocol

from rthv.board.gic import regs
from rthv.board.gic.regs import (
    SGI_COUNT,
    BoundGroup,
    FieldGetter,
    FieldPutter,
    bind_fields,
    find_group,
)

VM_CPU_MASK: Final = 0x01  # the VM's single vCPU is CPU interface 0: ITARGETSR/SGIR/SGI source bit
VM_CPUS: Final = 1  # one vCPU: one CPU interface (GICD_TYPER.CPUNumber = 0)


class VirqKind(Enum):
    """Where an interrupt the VM owns comes from."""

    BANKED = "banked"  # SGI or PPI, per VM, purely virtual
    PASSTHROUGH = "passthrough"  # SPI of one of the VM's devices, mirrored physically
    VIRTUAL = "virtual"  # SPI raised by the hypervisor only (notify vIRQs)


@dataclass(slots=True)
class VirqState:
    """State of one of the VM's interrupts outside the list registers (the state model:
    ``vgic_interrupt_states``)."""

    irq: int
    kind: VirqKind
    edge: bool
    enabled: bool = False
    pending: bool = False  # pending and not (yet) carried by a list register
    active: bool = False  # active and not carried by a list register (listed at the next flush)
    priority: int = 0
    target: int = VM_CPU_MASK  # last ITARGETSR byte written; the effective target is vCPU 0
    # Whether the interrupt is a passthrough one (HW=1 list registers): the kind, as a plain
    # attribute for the injection path (the kind never changes).
    hardware: bool = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.hardware = self.kind is VirqKind.PASSTHROUGH

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
    def owned(self) -> Container[int]:
        """The interrupts the VM owns (``owns``), for a membership test."""
        ...

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


class GicdRegisterFile:
    """MMIO decoding of one VM's GICD page onto a ``GicdBackend``; a write returns its
    violations."""

    def __init__(self, backend: GicdBackend) -> None:
        self.backend = backend
        self._groups = self._bind_fields()

    def read(self, offset: int, size: int) -> int:
        """Guest read of ``size`` bytes at GICD ``offset``."""
        bound = find_group(self._groups, offset)
        if bound is not None:  # (each bound getter reads 0 for an interrupt not the VM's)
            return bound.group.join(offset, size, bound.get)
        backend = self.backend
        return regs.read_gicd_fixed(
            offset, enabled=backend.enabled, num_irqs=backend.num_irqs, num_cpus=VM_CPUS
        )

    def write(self, offset: int, size: int, value: int) -> list[GicdViolation]:
        """Guest write of ``size`` bytes at GICD ``offset``; the fields it could not change."""
        bound = find_group(self._groups, offset)
        if bound is not None:
            return self._write_fields(bound, offset, size, value)
        if offset == regs.GICD_CTLR:
            self.backend.enabled = bool(value & regs.GICD_CTLR_ENABLE)
        elif offset == regs.GICD_SGIR and regs.sgir_targets(value, 0, VM_CPU_MASK):
            self.backend.set_pending(value & regs.SGIR_ID_MASK, True)  # to the VM's own vCPU
        return []

    def _write_fields(
        self, bound: BoundGroup, offset: int, size: int, value: int
    ) -> list[GicdViolation]:
        violations: list[GicdViolation] = []
        if bound.put is None:
            return violations
        backend = self.backend
        owned = backend.owned
        for irq, field in bound.group.split(offset, size, value):
            if irq >= backend.num_irqs:
                continue  # not implemented at all: RAZ/WI, nobody's interrupt
            if irq in owned:  # (``backend.owns(irq)``)
                bound.put(irq, field)
            elif field:
                violations.append(GicdViolation(offset, irq, value))
        return violations

    def _bind_fields(self) -> tuple[BoundGroup, ...]:
        backend = self.backend
        owned = backend.owned

        def own(get: FieldGetter) -> FieldGetter:
            """``get``, for an implemented interrupt the VM owns; 0 for any other (RAZ)."""

            def field(irq: int) -> int:
                return get(irq) if irq in owned and irq < backend.num_irqs else 0

            return field

        def flag(get: Callable[[int], bool]) -> FieldGetter:
            return own(get)  # (a bool is the field's int: one call per interrupt read)

        def on_bit(action: Callable[[int, bool], None], level: bool, sgis: bool) -> FieldPutter:
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

        def sgi_sources(level: bool) -> FieldPutter:
            def put(irq: int, field: int) -> None:
                if field & VM_CPU_MASK:
                    backend.set_pending(irq, level)

            return put

        enabled, pending = flag(backend.is_enabled), flag(backend.is_pending)
        active = flag(backend.is_active)
        return bind_fields(
            {
                "group": (lambda irq: 0, None),  # (RAZ for every interrupt)
                "set_enable": (enabled, on_bit(backend.set_enabled, True, True)),
                "clear_enable": (enabled, on_bit(backend.set_enabled, False, True)),
                "set_pending": (pending, on_bit(backend.set_pending, True, False)),
                "clear_pending": (pending, on_bit(backend.set_pending, False, False)),
                "set_active": (active, on_bit(backend.set_active, True, True)),
                "clear_active": (active, on_bit(backend.set_active, False, True)),
                "priority": (own(backend.priority), backend.set_priority),
                "targets": (own(lambda irq: VM_CPU_MASK), backend.set_target),
                "config": (own(get_config), put_config),
                "clear_sgi_pending": (own(get_sgi_sources), sgi_sources(False)),
                "set_sgi_pending": (own(get_sgi_sources), sgi_sources(True)),
            }
        )
