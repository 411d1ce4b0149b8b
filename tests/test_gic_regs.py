"""The GICv2 register map: the distributor's field groups are described once, bound by name."""

from __future__ import annotations

import itertools

import pytest

from rthv.board.gic import regs
from rthv.board.gic.distributor import GicDistributor
from rthv.board.gic.regs import GICD_FIELD_GROUPS, bind_fields, sgir_targets

PRIORITY = next(g for g in GICD_FIELD_GROUPS if g.name == "priority")
CONFIG = next(g for g in GICD_FIELD_GROUPS if g.name == "config")


def test_a_word_access_splits_into_one_field_per_interrupt() -> None:
    """IPRIORITYR word 1 covers IDs 4..7 a byte each; ICFGR word 1 covers IDs 16..31."""
    fields = list(PRIORITY.split(regs.GICD_IPRIORITYR + 4, 4, 0x44332211))
    assert fields == [(4, 0x11), (5, 0x22), (6, 0x33), (7, 0x44)]
    assert PRIORITY.join(regs.GICD_IPRIORITYR + 4, 4, dict(fields).__getitem__) == 0x44332211
    assert CONFIG.irqs(regs.GICD_ICFGR + 4, 4) == range(16, 32)


def test_the_groups_tile_the_distributor_page_without_overlap() -> None:
    """Every group lies in the 4 KiB page and no two groups share an offset."""
    spans = sorted((g.start, g.end) for g in GICD_FIELD_GROUPS)
    assert all(end <= start for (_, end), (start, _) in itertools.pairwise(spans))
    assert spans[-1][1] <= regs.GICD_WINDOW_SIZE


def test_binding_needs_every_group_exactly_once() -> None:
    """A side that forgets a group, or names one that does not exist, is refused."""
    accessors = {g.name: (lambda irq: 0, None) for g in GICD_FIELD_GROUPS}
    assert len(bind_fields(accessors)) == len(GICD_FIELD_GROUPS)
    with pytest.raises(ValueError, match="must bind exactly"):
        bind_fields({**accessors, "typo": (lambda irq: 0, None)})
    del accessors["config"]
    with pytest.raises(ValueError, match="must bind exactly"):
        bind_fields(accessors)


def test_sgir_target_filters() -> None:
    """List, all-but-self, self; the reserved filter sends to nobody."""
    assert sgir_targets(0b0110 << 16, cpu=1, cpu_mask=0b1111) == 0b0110
    assert sgir_targets(1 << 24, cpu=1, cpu_mask=0b1111) == 0b1101
    assert sgir_targets(2 << 24, cpu=1, cpu_mask=0b1111) == 0b0010
    assert sgir_targets(3 << 24, cpu=1, cpu_mask=0b1111) == 0


def test_fixed_registers_read_the_same_for_any_owner() -> None:
    """CTLR, TYPER and IIDR come from one decoder: the board's GICD reads them through it."""
    gicd = GicDistributor(96, num_cpus=2)
    gicd.enabled = True
    for offset in (regs.GICD_CTLR, regs.GICD_TYPER, regs.GICD_IIDR, 0xFE0):
        assert gicd.read(offset, 4) == regs.read_gicd_fixed(
            offset, enabled=True, num_irqs=96, num_cpus=2
        )
    assert gicd.read(regs.GICD_TYPER, 4) == 2 | 1 << 5
