"""Delivering a VM's interrupts through the GICH: flush, overflow maintenance, save/restore."""

from __future__ import annotations

from rthv.board.gic import GicDistributor, GicHypInterface
from rthv.board.gic.list_register import LrState, lr_state
from rthv.board.gic.regs import HCR_EN, HCR_UIE, LR_EOI
from rthv.hv.vgic import VirtualGic

SPIS = [40, 41, 42, 43, 44]


def _vgic() -> VirtualGic:
    vgic = VirtualGic("a", 64, GicDistributor(64), passthrough=[], virtual=SPIS)
    vgic.enabled = True
    for irq in SPIS:
        vgic.set_enabled(irq, True)
        vgic.set_priority(irq, 0x80 - irq)  # the higher the ID, the more urgent
    return vgic


def test_more_pending_than_list_registers_asks_for_maintenance() -> None:
    """Five pending, four LRs: the four most urgent are listed, UIE and EOI bits are set."""
    vgic, gich = _vgic(), GicHypInterface(4)
    for irq in SPIS:
        vgic.raise_virtual(irq)
    assert vgic.flush_to(gich) == 4
    assert sorted(lr & 0x3FF for lr in gich.list_registers) == [41, 42, 43, 44]
    assert gich.hcr & (HCR_EN | HCR_UIE) == HCR_EN | HCR_UIE
    assert all(lr & LR_EOI for lr in gich.list_registers)


def test_a_switch_folds_list_registers_back_and_parks_the_interface() -> None:
    """save_from leaves the GICH empty and off; restore_to lists the same interrupts again."""
    vgic, gich = _vgic(), GicHypInterface(4)
    vgic.raise_virtual(40)
    vgic.flush_to(gich)
    vgic.save_from(gich)
    assert (gich.hcr, vgic.loaded) == (0, False)
    assert all(lr_state(lr) == LrState.INVALID for lr in gich.list_registers)
    assert vgic.is_pending(40)
    assert vgic.restore_to(gich) == 1 and vgic.loaded
    assert [lr & 0x3FF for lr in gich.list_registers if lr_state(lr)] == [40]
