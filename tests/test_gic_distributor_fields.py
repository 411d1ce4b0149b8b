"""The board's GICD fields for one CPU: each group's getter and setter on that CPU's state."""

from __future__ import annotations

from rthv.board.gic.distributor import GicDistributor, IrqState
from rthv.board.gic.distributor_fields import bind_distributor_fields
from rthv.board.gic.regs import (
    GICD_IPRIORITYR,
    GICD_ISENABLER,
    GICD_ISPENDR,
    GICD_ITARGETSR,
    BoundGroup,
    find_group,
)

SPI = 40


def _fields(
    gicd: GicDistributor, cpu: int, kept: dict[int, list[tuple[int, IrqState]]] | None = None
) -> dict[int, BoundGroup]:
    groups = bind_distributor_fields(gicd, cpu, enabled_irqs=kept or {}, cpu_mask=0b11)
    offsets = (GICD_ISENABLER, GICD_ISPENDR, GICD_IPRIORITYR, GICD_ITARGETSR)
    found = {offset: find_group(groups, offset) for offset in offsets}
    return {offset: bound for offset, bound in found.items() if bound is not None}


def test_a_set_enable_bit_enables_that_cpus_copy_and_forgets_the_kept_list() -> None:
    """Setting a banked PPI's enable bit as CPU 1 enables CPU 1's copy alone."""
    gicd = GicDistributor(64, num_cpus=2)
    kept: dict[int, list[tuple[int, IrqState]]] = {1: []}
    enable = _fields(gicd, 1, kept)[GICD_ISENABLER]
    assert enable.put is not None
    enable.put(27, 1)
    assert (gicd.is_enabled(27, cpu=1), gicd.is_enabled(27, cpu=0)) == (True, False)
    assert enable.get(27) == 1
    assert kept == {}


def test_sgi_pending_bits_are_read_only_and_spi_ones_latch() -> None:
    """ISPENDR sets an SPI's latch; for an SGI it does nothing (GICv2: SPENDSGIR does)."""
    gicd = GicDistributor(64)
    pending = _fields(gicd, 0)[GICD_ISPENDR]
    assert pending.put is not None
    pending.put(3, 1)
    pending.put(SPI, 1)
    assert (gicd.is_pending(3), gicd.is_pending(SPI)) == (False, True)


def test_priorities_drop_unimplemented_bits_and_banked_targets_read_as_their_cpu() -> None:
    """A priority keeps its implemented high bits; a PPI targets the reading CPU only."""
    gicd = GicDistributor(64, num_cpus=2, priority_bits=5)
    fields = _fields(gicd, 1)
    put_priority = fields[GICD_IPRIORITYR].put
    put_targets = fields[GICD_ITARGETSR].put
    assert put_priority is not None and put_targets is not None
    put_priority(SPI, 0xFF)
    put_targets(SPI, 0b111)
    assert (gicd.priority(SPI), gicd.targets(SPI)) == (0xF8, 0b11)
    assert fields[GICD_ITARGETSR].get(20) == 0b10
