"""GICv2 virtualisation extensions, the GICV: acknowledge, EOI, priorities, HW=1 entries."""

from __future__ import annotations

from gic_support import EN, EOIMODE, MISR_U, SPURIOUS, UIE, lr, make_vgic
from rthv.board.gic import (
    GicCpuInterface,
    GicDistributor,
    GicHypInterface,
    GicVirtualCpuInterface,
    LrState,
    make_list_register,
)
from rthv.board.gic.list_register import lr_state
from rthv.board.gic.regs import (
    GICC_APR0,
    GICC_BPR,
    GICC_CTLR,
    GICC_DIR,
    GICC_EOIR,
    GICC_HPPIR,
    GICC_IAR,
    GICC_PMR,
    GICC_RPR,
    GICD_CTLR,
    GICH_APR,
    GICH_EISR0,
    GICH_ELSRSR0,
    GICH_HCR,
    GICH_MISR,
    GICH_VMCR,
)


def test_injection_ack_and_eoi_round_trip() -> None:
    """A pending LR raises virq_out; IAR makes it active; EOIR empties it."""
    gich, gicv = make_vgic()
    gich.write(lr(0), 4, make_list_register(27, 0xA0))
    assert gicv.virq_out.level
    assert gicv.read(GICC_HPPIR, 4) == 27
    assert gicv.read(GICC_IAR, 4) == 27
    assert lr_state(gich.read(lr(0), 4)) == LrState.ACTIVE
    assert not gicv.virq_out.level
    assert gicv.read(GICC_RPR, 4) == 0xA0
    assert gich.read(GICH_APR, 4) == 1 << 20
    assert gicv.read(GICC_APR0, 4) == 1 << 20
    assert gich.read(GICH_ELSRSR0, 4) == 0xE
    gicv.write(GICC_EOIR, 4, 27)
    assert gich.read(lr(0), 4) == make_list_register(27, 0xA0, state=LrState.INVALID)
    assert gich.read(GICH_APR, 4) == 0
    assert gicv.read(GICC_RPR, 4) == 0xFF
    assert gich.read(GICH_ELSRSR0, 4) == 0xF
    assert gicv.read(GICC_IAR, 4) == SPURIOUS


def test_virq_needs_enables_and_priority() -> None:
    """virq_out needs HCR.En, the guest's enable and a priority above the virtual PMR."""
    gich, gicv = make_vgic()
    gich.set_list_register(1, make_list_register(40, 0x80))
    assert gicv.virq_out.level
    gich.hcr = 0
    assert not gicv.virq_out.level
    assert gicv.read(GICC_IAR, 4) == SPURIOUS
    gich.hcr = EN
    gicv.write(GICC_CTLR, 4, 0)
    assert not gicv.virq_out.level
    gicv.write(GICC_CTLR, 4, 1)
    gicv.write(GICC_PMR, 4, 0x80)
    assert gicv.read(GICC_PMR, 4) == 0x80
    assert not gicv.virq_out.level
    gicv.write(GICC_PMR, 4, 0x88)
    assert gicv.virq_out.level
    grp1 = make_list_register(41, 0x10, group1=True)
    gich.set_list_register(2, grp1)
    assert gicv.read(GICC_HPPIR, 4) == 40  # Group 1 not enabled by the guest
    gicv.write(GICC_CTLR, 4, 0b11)
    assert gicv.read(GICC_IAR, 4) == 41


def test_guest_registers_live_in_vmcr() -> None:
    """GICV CTLR, PMR and BPR writes land in GICH_VMCR fields."""
    gich = GicHypInterface()
    gicv = GicVirtualCpuInterface(gich)
    gicv.write(GICC_CTLR, 4, 0x1 | EOIMODE)
    gicv.write(GICC_PMR, 4, 0xF0)
    gicv.write(GICC_BPR, 4, 3)
    assert gich.read(GICH_VMCR, 4) == (0x1E << 27) | (3 << 21) | (3 << 18) | EOIMODE | 1
    gicv.write(GICC_BPR, 4, 0)
    assert gicv.read(GICC_BPR, 4) == 2
    gich.write(GICH_VMCR, 4, 0xFFFF_FFFF)
    assert gich.read(GICH_VMCR, 4) == 0xF8FC_021F
    assert gicv.read(GICC_CTLR, 4) == 0x21F


def test_priority_order_and_virtual_preemption() -> None:
    """The highest-priority LR goes first; a lower one waits for the EOI."""
    gich, gicv = make_vgic()
    gich.list_registers = [make_list_register(30, 0xA0), make_list_register(31, 0x80), 0, 0]
    assert gicv.read(GICC_IAR, 4) == 31
    assert not gicv.virq_out.level  # 0xA0 cannot preempt 0x80
    gich.set_list_register(2, make_list_register(32, 0x40))
    assert gicv.virq_out.level  # 0x40 can
    assert gicv.read(GICC_IAR, 4) == 32
    assert gicv.read(GICC_RPR, 4) == 0x40
    gicv.write(GICC_EOIR, 4, 32)
    gicv.write(GICC_EOIR, 4, 31)
    assert gicv.virq_out.level
    assert gicv.read(GICC_IAR, 4) == 30


def test_virtual_sgi_carries_source_cpu() -> None:
    """A virtual SGI reports its source in IAR; EOI must name the same source."""
    gich, gicv = make_vgic()
    gich.set_list_register(0, make_list_register(3, 0x20, source_cpu=2))
    assert gicv.read(GICC_IAR, 4) == (2 << 10) | 3
    gicv.write(GICC_EOIR, 4, (1 << 10) | 3)  # wrong source: no LR matches
    assert lr_state(gich.list_register(0)) == LrState.ACTIVE
    assert gich.eoi_count == 1
    gicv.write(GICC_DIR, 4, (2 << 10) | 3)
    assert lr_state(gich.list_register(0)) == LrState.INVALID


def test_pending_and_active_lr() -> None:
    """A pending+active LR is not acknowledged again until deactivated."""
    gich, gicv = make_vgic()
    gich.set_list_register(0, make_list_register(44, 0x50, state=LrState.PENDING_ACTIVE))
    assert not gicv.virq_out.level
    gich.apr = 1 << 10  # the guest is handling it
    gicv.write(GICC_EOIR, 4, 44)
    assert lr_state(gich.list_register(0)) == LrState.PENDING
    assert gicv.virq_out.level
    assert gicv.read(GICC_IAR, 4) == 44


def test_veoim_split_drop_then_dir() -> None:
    """With the guest's EOImode set, EOIR only drops priority and DIR deactivates the LR."""
    gich, gicv = make_vgic()
    gicv.write(GICC_CTLR, 4, 1 | EOIMODE)
    gich.set_list_register(0, make_list_register(50, 0x60))
    assert gicv.read(GICC_IAR, 4) == 50
    gicv.write(GICC_EOIR, 4, 50)
    assert gich.apr == 0
    assert lr_state(gich.list_register(0)) == LrState.ACTIVE
    gicv.write(GICC_DIR, 4, 50)
    assert lr_state(gich.list_register(0)) == LrState.INVALID


def test_hw_lr_deactivates_physical_interrupt() -> None:
    """Guest EOI of a HW=1 LR deactivates the physical interrupt the hypervisor left active."""
    gicd = GicDistributor(64)
    gicd.write(GICD_CTLR, 4, 1)
    gicc = GicCpuInterface(gicd)
    gicc.write(GICC_CTLR, 4, 1 | EOIMODE)
    gicc.write(GICC_PMR, 4, 0xF8)
    gicd.set_priority(27, 0x20)
    gicd.set_enabled(27, True)
    gich, gicv = make_vgic(deactivate_physical=gicc.deactivate)

    gicd.set_input(27, True)  # the timer fires
    assert gicc.read(GICC_IAR, 4) == 27
    gicc.write(GICC_EOIR, 4, 27)  # priority drop only
    assert gicd.is_active(27) and not gicc.irq_out.level
    gich.set_list_register(0, make_list_register(27, 0xA0, physical_id=27))
    assert gicv.read(GICC_IAR, 4) == 27
    gicd.set_input(27, False)  # the guest reprograms its timer
    gicv.write(GICC_EOIR, 4, 27)
    assert not gicd.is_active(27)
    assert lr_state(gich.list_register(0)) == LrState.INVALID
    assert gich.read(GICH_EISR0, 4) == 0  # HW=1 never asks for EOI maintenance
    assert not gicc.irq_out.level


def test_hw_lr_with_line_still_high_refires_physically() -> None:
    """After the guest deactivates a HW LR, a still-asserted line is signalled again."""
    gicd = GicDistributor(64)
    gicd.enabled = True
    gicc = GicCpuInterface(gicd)
    gicc.ctlr = 1 | EOIMODE
    gicc.pmr = 0xF8
    gicd.set_enabled(27, True)
    gich, gicv = make_vgic(deactivate_physical=gicc.deactivate)
    gicd.set_input(27, True)
    assert gicc.acknowledge() == 27
    gicc.end_of_interrupt(27)
    gich.set_list_register(0, make_list_register(27, 0xA0, physical_id=27))
    gicv.end_of_interrupt(gicv.acknowledge())
    assert gicc.irq_out.level


def test_the_short_iar_and_eoir_keep_every_line_as_the_full_evaluation() -> None:
    """The guest's IAR and EOIR of the only pending LR lower the vIRQ line the short way; with
    a maintenance condition enabled (underflow) they still re-evaluate it: the EOI of a HW=1
    LR leaving one valid LR raises the maintenance line; with two pending LRs the line stays
    up after the first IAR."""
    gich, gicv = make_vgic()
    gich.write(lr(0), 4, make_list_register(40, 0x40, physical_id=40))
    assert gicv.virq_out.level
    assert gicv.read(GICC_IAR, 4) == 40 and not gicv.virq_out.level
    gicv.write(GICC_EOIR, 4, 40)
    assert gich.list_registers[0] & (3 << 28) == 0 and not gicv.virq_out.level
    assert not gich.maintenance_out.level

    gich, gicv = make_vgic()
    gich.write(GICH_HCR, 4, EN | UIE)
    gich.write(lr(0), 4, make_list_register(40, 0x40, physical_id=40))
    gich.write(lr(1), 4, make_list_register(41, 0x80, state=LrState.ACTIVE, physical_id=41))
    assert gicv.read(GICC_IAR, 4) == 40 and not gich.maintenance_out.level
    gicv.write(GICC_EOIR, 4, 40)
    assert gich.maintenance_out.level and gich.read(GICH_MISR, 4) == MISR_U

    gich, gicv = make_vgic()
    gich.write(lr(0), 4, make_list_register(40, 0x40, physical_id=40))
    gich.write(lr(1), 4, make_list_register(41, 0x40, physical_id=41))
    assert gicv.read(GICC_IAR, 4) == 40 and not gicv.virq_out.level  # same group priority
    gicv.write(GICC_EOIR, 4, 40)
    assert gicv.virq_out.level  # 41 is signalled once the priority drops
