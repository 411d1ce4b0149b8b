"""Helpers for the GICv2 virtualisation tests: a GICH and GICV pair, field values."""

from __future__ import annotations

from collections.abc import Callable

from rthv.board.gic import GicHypInterface, GicVirtualCpuInterface
from rthv.board.gic.regs import GICC_CTLR, GICC_PMR, GICH_HCR, GICH_LR0

SPURIOUS = 1023
EN, UIE, LRENPIE, NPIE = 1, 2, 4, 8
MISR_EOI, MISR_U, MISR_LRENP, MISR_NP = 1, 2, 4, 8
EOIMODE = 1 << 9


def make_vgic(
    deactivate_physical: Callable[[int], None] | None = None,
) -> tuple[GicHypInterface, GicVirtualCpuInterface]:
    """GICH enabled, GICV enabled by the guest with an open priority mask; HW=1 entries
    deactivate their physical interrupt through ``deactivate_physical``."""
    gich = GicHypInterface()
    gicv = GicVirtualCpuInterface(gich, deactivate_physical=deactivate_physical)
    gich.write(GICH_HCR, 4, EN)
    gicv.write(GICC_CTLR, 4, 1)
    gicv.write(GICC_PMR, 4, 0xF8)
    return gich, gicv


def lr(index: int) -> int:
    """GICH offset of list register ``index``."""
    return GICH_LR0 + 4 * index
