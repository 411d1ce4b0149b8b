"""GICv2 virtualisation extensions, the GICH: list registers, maintenance, world switch."""

from __future__ import annotations

import pytest

from gic_support import (
    EN,
    LRENPIE,
    MISR_EOI,
    MISR_LRENP,
    MISR_NP,
    MISR_U,
    NPIE,
    SPURIOUS,
    UIE,
    lr,
    make_vgic,
)
from rthv.board.gic import GicHypInterface, GicHypState, LrState, make_list_register
from rthv.board.gic.regs import (
    GICC_EOIR,
    GICC_IAR,
    GICH_EISR0,
    GICH_ELSRSR0,
    GICH_HCR,
    GICH_MISR,
    GICH_VMCR,
    GICH_VTR,
)


def test_reset_values() -> None:
    """VTR advertises 4 LRs and 5 priority bits; all LRs start empty."""
    gich = GicHypInterface()
    assert gich.read(GICH_VTR, 4) == 0x9000_0003
    assert gich.read(GICH_VMCR, 4) == 0x004C_0000
    assert gich.read(GICH_ELSRSR0, 4) == 0xF
    assert gich.read(GICH_EISR0, 4) == 0
    assert gich.read(GICH_MISR, 4) == 0
    assert gich.free_list_register() == 0
    assert not gich.maintenance_out.level


def test_make_list_register_layout() -> None:
    """The LR encoder puts every field at its GICv2 position."""
    assert make_list_register(27, 0xA0) == 0x1000_001B | (0x14 << 23)
    hw = make_list_register(33, 0x08, state=LrState.ACTIVE, physical_id=40, group1=True)
    assert hw == (1 << 31) | (1 << 30) | (2 << 28) | (1 << 23) | (40 << 10) | 33
    sgi = make_list_register(3, 0, source_cpu=2, eoi=True)
    assert sgi == (1 << 28) | (1 << 19) | (2 << 10) | 3


def test_eoi_maintenance_interrupt() -> None:
    """An LR with the EOI bit raises maintenance after the guest's EOI until the LR is reused."""
    gich, gicv = make_vgic()
    gich.set_list_register(0, make_list_register(33, 0x40, eoi=True))
    gich.set_list_register(1, make_list_register(34, 0x80))
    assert not gich.maintenance_out.level
    gicv.write(GICC_EOIR, 4, gicv.read(GICC_IAR, 4))
    assert gich.read(GICH_MISR, 4) == MISR_EOI
    assert gich.read(GICH_EISR0, 4) == 0b1
    assert gich.read(GICH_ELSRSR0, 4) == 0b1100
    assert gich.maintenance_out.level
    assert gich.free_list_register() == 2
    gich.write(lr(0), 4, 0)
    assert not gich.maintenance_out.level
    assert gich.free_list_register() == 0


def test_underflow_maintenance() -> None:
    """With UIE, maintenance is raised while at most one LR holds an interrupt."""
    gich, gicv = make_vgic()
    gich.hcr = EN | UIE
    assert gich.misr == MISR_U and gich.maintenance_out.level
    gich.set_list_register(0, make_list_register(40, 0x40))
    gich.set_list_register(1, make_list_register(41, 0x40))
    assert gich.misr == 0 and not gich.maintenance_out.level
    gicv.write(GICC_EOIR, 4, gicv.read(GICC_IAR, 4))
    assert gich.misr == MISR_U and gich.maintenance_out.level


def test_no_pending_maintenance() -> None:
    """With NPIE, maintenance is raised once no LR is pending any more."""
    gich, gicv = make_vgic()
    gich.set_list_register(0, make_list_register(40, 0x40))
    gich.hcr = EN | NPIE
    assert not gich.maintenance_out.level
    assert gicv.read(GICC_IAR, 4) == 40
    assert gich.read(GICH_MISR, 4) == MISR_NP
    assert gich.maintenance_out.level


def test_maintenance_needs_hcr_en() -> None:
    """MISR reports conditions even when HCR.En is clear, but the line stays low."""
    gich = GicHypInterface()
    gich.write(GICH_HCR, 4, UIE)
    assert gich.read(GICH_MISR, 4) == MISR_U
    assert not gich.maintenance_out.level
    gich.write(GICH_HCR, 4, UIE | EN)
    assert gich.maintenance_out.level


def test_eoicount_and_lrenp() -> None:
    """A deactivation without a matching LR bumps EOICount and raises LRENP when enabled."""
    gich, gicv = make_vgic()
    gich.hcr = EN | LRENPIE
    gicv.write(GICC_EOIR, 4, 77)
    assert gich.eoi_count == 1
    assert gich.read(GICH_HCR, 4) == (1 << 27) | EN | LRENPIE
    assert gich.read(GICH_MISR, 4) == MISR_LRENP
    assert gich.maintenance_out.level
    gicv.write(GICC_EOIR, 4, SPURIOUS)  # spurious IDs are ignored
    assert gich.eoi_count == 1
    gich.write(GICH_HCR, 4, EN | LRENPIE)
    assert not gich.maintenance_out.level


def test_save_restore_round_trip() -> None:
    """save/restore switches the whole vCPU interface state, outputs included."""
    gich, gicv = make_vgic()
    gich.list_registers = [
        make_list_register(30, 0xA0),
        make_list_register(31, 0x80, state=LrState.ACTIVE),
        0,
        make_list_register(3, 0x10, source_cpu=1, eoi=True),
    ]
    gich.apr = 1 << 16
    gich.hcr = EN | UIE
    saved = gich.save()
    assert saved == GicHypState(
        hcr=EN | UIE,
        vmcr=(0x1F << 27) | 0x004C_0000 | 1,
        apr=1 << 16,
        list_registers=gich.list_registers,
    )
    assert gicv.virq_out.level  # LR3 (0x10) beats the running priority 0x80

    gich.restore(GicHypState(hcr=0, vmcr=0x004C_0000, apr=0, list_registers=(0, 0, 0, 0)))
    assert not gicv.virq_out.level
    assert gich.read(lr(3), 4) == 0
    assert gicv.read(GICC_IAR, 4) == SPURIOUS

    gich.restore(saved)
    assert gich.save() == saved
    assert gicv.virq_out.level
    assert gicv.read(GICC_IAR, 4) == (1 << 10) | 3
    with pytest.raises(ValueError):
        gich.restore(GicHypState(0, 0, 0, (0,)))


def test_a_batch_of_writes_moves_the_lines_once_after_the_last() -> None:
    """Inside ``batch()`` the lines keep their level; a pending LR raised and withdrawn again
    in one batch never reaches the vCPU, while one left pending does, at the batch's end."""
    gich, gicv = make_vgic()
    changes: list[bool] = []
    gicv.virq_out.connect(changes.append)
    with gich.batch():
        gich.set_list_register(0, make_list_register(40, 0x80, state=LrState.PENDING))
        assert not gicv.virq_out.level  # not yet: the batch is open
        gich.set_list_register(0, 0)
    assert changes == []
    with gich.batch(), gich.batch():  # nested: only the outermost end counts
        gich.set_list_register(1, make_list_register(41, 0x80, state=LrState.PENDING))
    assert changes == [True]
    assert gicv.acknowledge() == 41


def test_load_sets_the_control_registers_and_empties_every_list_register() -> None:
    """``load`` is ``restore`` with empty list registers: a pending LR is gone, the line falls."""
    gich, gicv = make_vgic()
    gich.set_list_register(2, make_list_register(40, 0x80, state=LrState.PENDING))
    assert gicv.virq_out.level
    vmcr = gich.vmcr ^ (1 << 9)  # the guest's EOImode flipped
    gich.load(EN | UIE, vmcr, 0b10)
    assert (gich.hcr, gich.vmcr, gich.apr) == (EN | UIE, vmcr, 0b10)
    assert gich.list_registers == (0, 0, 0, 0)
    assert not gicv.virq_out.level


def test_holds_interrupts_sees_pending_or_active_entries_only() -> None:
    """An LR that is empty, or EOIed with its EOI maintenance still due, holds no interrupt."""
    gich, gicv = make_vgic()
    assert not gich.holds_interrupts()
    gich.set_list_register(3, make_list_register(40, 0x80, state=LrState.INVALID, eoi=True))
    assert not gich.holds_interrupts()
    gich.set_list_register(1, make_list_register(41, 0x80, state=LrState.PENDING))
    assert gich.holds_interrupts()
    assert gicv.acknowledge() == 41  # pending -> active: still held
    assert gich.holds_interrupts()
    gicv.end_of_interrupt(41)
    assert not gich.holds_interrupts()
