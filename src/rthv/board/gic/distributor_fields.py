"""The board's GICD register fields for one CPU: each per-interrupt field group of
``regs.GICD_FIELD_GROUPS`` bound to a getter and a setter of the distributor's interrupt state
(banked IDs: that CPU's own copy)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rthv.board.gic import regs
from rthv.board.gic.regs import (
    BANKED_COUNT,
    SGI_COUNT,
    BoundGroup,
    FieldGetter,
    FieldPutter,
    bind_fields,
)

if TYPE_CHECKING:
    from rthv.board.gic.distributor import GicDistributor, IrqState


def bind_distributor_fields(
    distributor: GicDistributor,
    cpu: int,
    *,
    enabled_irqs: dict[int, list[tuple[int, IrqState]]],
    cpu_mask: int,
) -> tuple[BoundGroup, ...]:
    """CPU ``cpu``'s accessors for every GICD field group; a change of an enable bit forgets
    the ``enabled_irqs`` the distributor keeps."""
    state_of = distributor.irq_state

    def field(attr: str) -> FieldGetter:
        return lambda irq: int(getattr(state_of(irq, cpu), attr))

    def setter(attr: str, level: bool) -> FieldPutter:
        """Write-1-to-set/clear; SGI pending bits are read-only here (GICv2)."""

        def put(irq: int, value: int) -> None:
            if value and not (attr == "latch" and irq < SGI_COUNT):
                setattr(state_of(irq, cpu), attr, level)
                if attr == "enabled":
                    enabled_irqs.clear()

        return put

    def put_priority(irq: int, value: int) -> None:
        state_of(irq, cpu).priority = value & distributor.priority_mask

    def get_targets(irq: int) -> int:
        return (1 << cpu) if irq < BANKED_COUNT else state_of(irq, cpu).targets

    def put_targets(irq: int, value: int) -> None:
        if irq >= BANKED_COUNT:
            state_of(irq, cpu).targets = value & cpu_mask

    def get_config(irq: int) -> int:
        return regs.ICFGR_EDGE if state_of(irq, cpu).edge else 0

    def put_config(irq: int, value: int) -> None:
        if irq >= SGI_COUNT:
            state_of(irq, cpu).edge = bool(value & regs.ICFGR_EDGE)

    def sgis(level: bool) -> FieldPutter:
        def put(irq: int, value: int) -> None:
            state = state_of(irq, cpu)
            mask = value & cpu_mask
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
