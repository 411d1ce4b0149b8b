"""The per-VM virtual GIC: GICD emulation, physical mirroring, list registers, world switches."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

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
    GICC_CTLR,
    GICC_EOIR,
    GICC_IAR,
    GICC_PMR,
    GICC_RPR,
    GICD_CTLR,
    GICD_ICACTIVER,
    GICD_ICENABLER,
    GICD_ICFGR,
    GICD_ICPENDR,
    GICD_ID_REGISTERS,
    GICD_IGROUPR,
    GICD_IIDR,
    GICD_IPRIORITYR,
    GICD_ISACTIVER,
    GICD_ISENABLER,
    GICD_ISPENDR,
    GICD_ITARGETSR,
    GICD_SGIR,
    GICD_SPENDSGIR,
    GICD_TYPER,
    HCR_EN,
    HCR_UIE,
    LR_EOI,
)
from rthv.hv.vgic import GicdViolation, VirqKind, VirtualGic

NUM_IRQS = 96
SPURIOUS = 1023
GICC_ENABLE_EOIMODE = 0x1 | 1 << 9  # how the hypervisor runs the physical CPU interface
OPEN_PMR = 0xF8
SGIR_SELF = 2 << 24
SGIR_OTHERS = 1 << 24
ID_MASK = 0x3FF


@dataclass
class Gic:
    """The board's GIC blocks, wired as ``board_wiring.build_gic`` wires them."""

    gicd: GicDistributor
    gicc: GicCpuInterface
    gich: GicHypInterface
    gicv: GicVirtualCpuInterface


def make_gic() -> Gic:
    """A GIC with the physical side set up as the hypervisor runs it (EOImode split)."""
    gicd = GicDistributor(NUM_IRQS)
    gicc = GicCpuInterface(gicd)
    gich = GicHypInterface()
    gicv = GicVirtualCpuInterface(gich, gicc.deactivate)
    gicd.enabled = True
    gicc.write(GICC_CTLR, 4, GICC_ENABLE_EOIMODE)
    gicc.write(GICC_PMR, 4, OPEN_PMR)
    return Gic(gicd, gicc, gich, gicv)


def word(base: int, irq: int) -> int:
    """Offset of the one-bit-per-IRQ register word holding ``irq``."""
    return base + 4 * (irq // 32)


def bit(irq: int) -> int:
    """Bit of ``irq`` in its one-bit-per-IRQ register word."""
    return 1 << (irq % 32)


def guest_setup(vgic: VirtualGic, gic: Gic, priorities: dict[int, int]) -> None:
    """What a guest's GIC driver does: distributor on, IRQs prioritised and enabled, GICV on."""
    vgic.write(GICD_CTLR, 4, 1)
    for irq, priority in priorities.items():
        vgic.write(GICD_IPRIORITYR + irq, 1, priority)
        vgic.write(word(GICD_ISENABLER, irq), 4, bit(irq))
    gic.gicv.write(GICC_CTLR, 4, 1)
    gic.gicv.write(GICC_PMR, 4, OPEN_PMR)


def hyp_take(gic: Gic) -> int:
    """The hypervisor's physical IRQ entry: acknowledge, then priority drop only."""
    irq = gic.gicc.read(GICC_IAR, 4)
    gic.gicc.write(GICC_EOIR, 4, irq)
    return irq


def listed(gich: GicHypInterface) -> list[tuple[int, int]]:
    """(vID, state) of every valid list register, in LR order."""
    return [(lr & ID_MASK, lr_state(lr)) for lr in gich.list_registers if lr_state(lr)]


def test_passthrough_spi_config_is_mirrored_to_physical() -> None:
    """Enable, trigger and priority of an own passthrough SPI reach the physical GICD, target 0."""
    gic = make_gic()
    assert gic.gicd.targets(40) == 0
    vgic = VirtualGic("a", NUM_IRQS, gic.gicd, passthrough=[40], virtual=[])
    assert gic.gicd.targets(40) == 1
    vgic.write(word(GICD_ISENABLER, 40), 4, bit(40))
    assert gic.gicd.is_enabled(40)
    assert vgic.read(word(GICD_ISENABLER, 40), 4) == bit(40)
    vgic.write(GICD_ICFGR + 8, 4, 0b10 << 16)
    assert gic.gicd.is_edge(40)
    assert vgic.read(GICD_ICFGR + 8, 4) == 0b10 << 16
    vgic.write(GICD_IPRIORITYR + 40, 1, 0x58)
    assert gic.gicd.priority(40) == 0x58
    vgic.write(GICD_ITARGETSR + 40, 1, 0x02)
    assert (gic.gicd.targets(40), vgic.read(GICD_ITARGETSR + 40, 1), vgic.target(40)) == (1, 1, 2)
    assert vgic.write(word(GICD_ICENABLER, 40), 4, bit(40)) == []  # its own: no violation
    assert not gic.gicd.is_enabled(40)
    assert vgic.kind(40) is VirqKind.PASSTHROUGH


def test_foreign_spi_writes_are_ignored_and_recorded() -> None:
    """Touching another VM's SPI changes nothing physical, reads zero; each write returns its
    violations."""
    gic = make_gic()
    a = VirtualGic("a", NUM_IRQS, gic.gicd, passthrough=[40], virtual=[50])
    b = VirtualGic("b", NUM_IRQS, gic.gicd, passthrough=[41], virtual=[])
    assert b.write(word(GICD_ISENABLER, 41), 4, bit(41)) == []
    assert b.write(GICD_IPRIORITYR + 41, 1, 0x80) == []
    found = a.write(word(GICD_ISENABLER, 40), 4, bit(40) | bit(41))
    found += a.write(word(GICD_ICENABLER, 41), 4, bit(41))
    found += a.write(GICD_IPRIORITYR + 40, 4, 0x0000_1020)
    found += a.write(GICD_IGROUPR + 4, 4, bit(41))  # RAZ/WI for everyone: not a violation
    found += a.write(GICD_ITARGETSR + 44, 4, 0)  # zero fields of foreign IRQs change nothing
    assert gic.gicd.is_enabled(41)
    assert (gic.gicd.priority(40), gic.gicd.priority(41)) == (0x20, 0x80)
    assert found == [
        GicdViolation(0x104, 41, 0x300),
        GicdViolation(0x184, 41, 0x200),
        GicdViolation(0x428, 41, 0x1020),
    ]
    assert a.read(word(GICD_ISENABLER, 40), 4) == bit(40)
    assert a.read(GICD_IPRIORITYR + 40, 4) == 0x20
    assert b.read(word(GICD_ISENABLER, 40), 4) == bit(41)


def test_typer_iidr_and_id_registers() -> None:
    """TYPER reports the VM's IRQ lines and one CPU; IIDR and IDs match the board's GICD."""
    physical = GicDistributor(288)
    for num_irqs, lines in ((32, 0), (96, 2), (288, 8)):
        vgic = VirtualGic("a", num_irqs, physical, passthrough=[], virtual=[])
        assert vgic.read(GICD_TYPER, 4) == lines
    assert vgic.read(GICD_IIDR, 4) == physical.read(GICD_IIDR, 4) == 0x0200_043B
    for offset, value in GICD_ID_REGISTERS.items():
        assert vgic.read(offset, 4) == physical.read(offset, 4) == value


def test_ipriorityr_byte_and_word_access() -> None:
    """Priorities are bytes: single-byte writes, word reads, low bits dropped, RAZ for others."""
    gic = make_gic()
    vgic = VirtualGic("a", NUM_IRQS, gic.gicd, passthrough=[], virtual=[33, 35])
    vgic.write(GICD_IPRIORITYR + 33, 1, 0xA7)
    vgic.write(GICD_IPRIORITYR + 35, 1, 0x48)
    assert vgic.read(GICD_IPRIORITYR + 32, 4) == 0x4800_A000
    assert vgic.read(GICD_IPRIORITYR + 33, 1) == 0xA0
    ignored = vgic.write(GICD_IPRIORITYR + 32, 4, 0x1122_3344)
    assert vgic.read(GICD_IPRIORITYR + 32, 4) == 0x1000_3000
    assert [v.irq for v in ignored] == [32, 34]
    vgic.write(GICD_IPRIORITYR, 4, 0x8070_6050)  # SGIs 0..3: banked per VM
    assert [vgic.priority(irq) for irq in range(4)] == [0x50, 0x60, 0x70, 0x80]
    assert gic.gicd.priority(0) == 0


def test_virtual_irq_waits_while_disabled_then_flushes() -> None:
    """A vIRQ raised while disabled is not deliverable; enabled, it lands in an LR and is taken."""
    gic = make_gic()
    vgic = VirtualGic("a", NUM_IRQS, gic.gicd, passthrough=[], virtual=[50])
    assert vgic.list_registers.restore_to(gic.gich) == 0
    assert gic.gich.hcr == HCR_EN
    guest_setup(vgic, gic, {})
    vgic.write(GICD_IPRIORITYR + 50, 1, 0x48)
    assert vgic.raise_virtual(50) is False
    assert not vgic.has_deliverable()
    assert vgic.list_registers.flush_to(gic.gich) == 0
    assert vgic.read(word(GICD_ISPENDR, 50), 4) == bit(50)
    vgic.write(word(GICD_ISENABLER, 50), 4, bit(50))
    assert vgic.has_deliverable()
    assert vgic.list_registers.flush_to(gic.gich) == 1
    assert gic.gich.list_register(0) == make_list_register(50, 0x48)
    assert gic.gicv.virq_out.level
    assert gic.gicv.read(GICC_IAR, 4) == 50
    assert vgic.read(word(GICD_ISACTIVER, 50), 4) == bit(50)
    assert vgic.read(word(GICD_ISPENDR, 50), 4) == 0
    gic.gicv.write(GICC_EOIR, 4, 50)
    assert vgic.list_registers.flush_to(gic.gich) == 0
    assert gic.gich.list_registers == (0, 0, 0, 0)
    assert not vgic.is_active(50)


def test_passthrough_irq_is_hw_linked_and_guest_eoi_deactivates_it() -> None:
    """A passthrough IRQ goes in with HW=1; the guest's EOI deactivates the physical IRQ."""
    gic = make_gic()
    vgic = VirtualGic("a", NUM_IRQS, gic.gicd, passthrough=[40], virtual=[])
    vgic.list_registers.restore_to(gic.gich)
    guest_setup(vgic, gic, {40: 0x30})
    line = gic.gicd.input_line(40)
    line.set(True)
    assert hyp_take(gic) == 40
    assert gic.gicd.is_active(40)
    assert vgic.physical_arrived(40) is True
    assert vgic.list_registers.flush_to(gic.gich) == 1
    assert gic.gich.list_register(0) == make_list_register(40, 0x30, physical_id=40)
    assert gic.gicv.read(GICC_IAR, 4) == 40
    line.set(False)
    gic.gicv.write(GICC_EOIR, 4, 40)
    assert lr_state(gic.gich.list_register(0)) == LrState.INVALID
    assert not gic.gicd.is_active(40)
    assert gic.gich.eoi_count == 0


def test_level_passthrough_is_not_reinjected_while_active() -> None:
    """A level IRQ still asserted is injected again only after the guest deactivates it."""
    gic = make_gic()
    vgic = VirtualGic("a", NUM_IRQS, gic.gicd, passthrough=[40], virtual=[])
    vgic.list_registers.restore_to(gic.gich)
    guest_setup(vgic, gic, {40: 0x30})
    gic.gicd.input_line(40).set(True)
    assert hyp_take(gic) == 40
    vgic.physical_arrived(40)
    assert vgic.list_registers.flush_to(gic.gich) == 1
    assert gic.gicv.read(GICC_IAR, 4) == 40
    assert not gic.gicc.irq_out.level  # physically pending and active: not forwarded
    assert (vgic.is_pending(40), vgic.is_active(40), vgic.has_deliverable()) == (True, True, False)
    assert vgic.list_registers.flush_to(gic.gich) == 0
    gic.gicv.write(GICC_EOIR, 4, 40)
    assert gic.gicc.irq_out.level  # the line is still high: the next instance
    assert hyp_take(gic) == 40
    assert vgic.physical_arrived(40) is True
    assert vgic.list_registers.flush_to(gic.gich) == 1
    assert listed(gic.gich) == [(40, LrState.PENDING)]


def test_more_pending_than_list_registers_refills_by_priority() -> None:
    """Six vIRQs, four LRs: the best four go first, maintenance refills as the guest EOIs."""
    gic = make_gic()
    priorities = {37: 0x10, 36: 0x20, 35: 0x30, 34: 0x40, 33: 0x50, 32: 0x60}
    vgic = VirtualGic("a", NUM_IRQS, gic.gicd, passthrough=[], virtual=priorities)
    vgic.list_registers.restore_to(gic.gich)
    guest_setup(vgic, gic, priorities)
    for irq in priorities:
        vgic.raise_virtual(irq)
    assert vgic.list_registers.flush_to(gic.gich) == 4
    assert listed(gic.gich) == [(irq, LrState.PENDING) for irq in (37, 36, 35, 34)]
    assert gic.gich.hcr == HCR_EN | HCR_UIE
    assert all(lr & LR_EOI for lr in gic.gich.list_registers)
    assert not gic.gich.maintenance_out.level
    taken = []
    while (irq := gic.gicv.read(GICC_IAR, 4)) != SPURIOUS:
        taken.append(irq)
        gic.gicv.write(GICC_EOIR, 4, irq)
        if gic.gich.maintenance_out.level:
            assert vgic.list_registers.maintenance(gic.gich) == 1
    assert taken == [37, 36, 35, 34, 33, 32]
    assert (
        vgic.list_registers.maintenance_count == 2
    )  # 4 listed at first, then 1 per maintenance: 6 in all
    assert gic.gich.hcr == HCR_EN
    assert not gic.gich.maintenance_out.level


def test_higher_priority_irq_evicts_the_lowest_pending_lr() -> None:
    """With all LRs pending, a more urgent vIRQ takes the LR of the least urgent one."""
    gic = make_gic()
    priorities = {33: 0x80, 34: 0x90, 35: 0xA0, 36: 0xB0, 37: 0x10}
    vgic = VirtualGic("a", NUM_IRQS, gic.gicd, passthrough=[], virtual=priorities)
    vgic.list_registers.restore_to(gic.gich)
    guest_setup(vgic, gic, priorities)
    for irq in (33, 34, 35, 36):
        vgic.raise_virtual(irq)
    assert vgic.list_registers.flush_to(gic.gich) == 4
    vgic.raise_virtual(37)
    assert vgic.list_registers.flush_to(gic.gich) == 1
    assert listed(gic.gich) == [(irq, LrState.PENDING) for irq in (33, 34, 35, 37)]
    assert vgic.is_pending(36)
    assert gic.gich.hcr & HCR_UIE
    assert gic.gicv.read(GICC_IAR, 4) == 37


def test_disabled_pending_irq_leaves_its_list_register() -> None:
    """Disabling a listed pending vIRQ (or the GICD) recalls it; it stays pending for later."""
    gic = make_gic()
    vgic = VirtualGic("a", NUM_IRQS, gic.gicd, passthrough=[], virtual=[33])
    vgic.list_registers.restore_to(gic.gich)
    guest_setup(vgic, gic, {33: 0x40})
    vgic.raise_virtual(33)
    assert vgic.list_registers.flush_to(gic.gich) == 1
    vgic.write(word(GICD_ICENABLER, 33), 4, bit(33))
    assert gic.gich.list_registers == (0, 0, 0, 0)
    assert (vgic.is_pending(33), vgic.has_deliverable()) == (True, False)
    assert gic.gicv.read(GICC_IAR, 4) == SPURIOUS
    vgic.write(word(GICD_ISENABLER, 33), 4, bit(33))
    assert vgic.list_registers.flush_to(gic.gich) == 1
    vgic.write(GICD_CTLR, 4, 0)
    assert (listed(gic.gich), vgic.read(GICD_CTLR, 4), vgic.is_pending(33)) == ([], 0, True)
    vgic.write(GICD_CTLR, 4, 1)
    assert vgic.list_registers.flush_to(gic.gich) == 1
    assert gic.gicv.read(GICC_IAR, 4) == 33


def test_guest_pending_and_active_writes() -> None:
    """ISPENDR pends a vIRQ, ICPENDR clears it, ICACTIVER ends an active one."""
    gic = make_gic()
    vgic = VirtualGic("a", NUM_IRQS, gic.gicd, passthrough=[], virtual=[33])
    vgic.list_registers.restore_to(gic.gich)
    guest_setup(vgic, gic, {33: 0x40})
    vgic.write(word(GICD_ISPENDR, 33), 4, bit(33))
    assert vgic.list_registers.flush_to(gic.gich) == 1
    vgic.write(word(GICD_ICPENDR, 33), 4, bit(33))
    assert (listed(gic.gich), vgic.is_pending(33)) == ([], False)
    vgic.write(word(GICD_ISPENDR, 33), 4, bit(33))
    vgic.list_registers.flush_to(gic.gich)
    assert gic.gicv.read(GICC_IAR, 4) == 33
    vgic.write(word(GICD_ICACTIVER, 33), 4, bit(33))
    assert (listed(gic.gich), vgic.is_active(33)) == ([], False)
    vgic.write(GICD_ISPENDR, 4, 1 << 2)  # SGI pending bits are read-only in ISPENDR
    assert not vgic.is_pending(2)


def test_clearing_a_pending_passthrough_irq_deactivates_it_physically() -> None:
    """ICPENDR on a passthrough IRQ the hypervisor took drops it and deactivates it physically."""
    gic = make_gic()
    vgic = VirtualGic("a", NUM_IRQS, gic.gicd, passthrough=[40], virtual=[])
    vgic.list_registers.restore_to(gic.gich)
    guest_setup(vgic, gic, {40: 0x30})
    vgic.write(GICD_ICFGR + 8, 4, 0b10 << 16)
    line = gic.gicd.input_line(40)
    line.set(True)
    line.set(False)
    assert hyp_take(gic) == 40
    vgic.physical_arrived(40)
    assert vgic.list_registers.flush_to(gic.gich) == 1
    vgic.write(word(GICD_ICPENDR, 40), 4, bit(40))
    assert listed(gic.gich) == []
    assert (gic.gicd.is_active(40), gic.gicd.is_pending(40), vgic.is_pending(40)) == (
        False,
        False,
        False,
    )
    vgic.write(word(GICD_ISPENDR, 40), 4, bit(40))  # set at the physical GICD: taken again
    assert gic.gicd.is_pending(40) and vgic.is_pending(40)
    assert hyp_take(gic) == 40


def test_switch_round_trip_keeps_state_and_isolates_vms() -> None:
    """Across a switch to B and back, A keeps one active and one pending IRQ; B sees neither."""
    gic = make_gic()
    a = VirtualGic("a", NUM_IRQS, gic.gicd, passthrough=[], virtual=[33, 34])
    b = VirtualGic("b", NUM_IRQS, gic.gicd, passthrough=[], virtual=[35])
    a.list_registers.restore_to(gic.gich)
    guest_setup(a, gic, {33: 0x20, 34: 0x40})
    a.raise_virtual(33)
    a.raise_virtual(34)
    assert a.list_registers.flush_to(gic.gich) == 2
    assert gic.gicv.read(GICC_IAR, 4) == 33
    a_vmcr = gic.gich.vmcr
    a.list_registers.save_from(gic.gich)
    assert (gic.gich.list_registers, gic.gich.hcr, gic.gich.apr) == ((0, 0, 0, 0), 0, 0)
    assert (a.list_registers.loaded, a.is_active(33), a.is_pending(34), a.has_deliverable()) == (
        False,
        True,
        True,
        True,
    )

    assert b.list_registers.restore_to(gic.gich) == 0
    assert gic.gicv.read(GICC_CTLR, 4) == 0  # B's own, fresh virtual CPU interface
    guest_setup(b, gic, {35: 0x80})
    b.raise_virtual(35)
    assert b.list_registers.flush_to(gic.gich) == 1
    assert listed(gic.gich) == [(35, LrState.PENDING)]
    assert gic.gicv.read(GICC_IAR, 4) == 35
    gic.gicv.write(GICC_EOIR, 4, 35)
    assert gic.gicv.read(GICC_IAR, 4) == SPURIOUS
    assert b.read(GICD_ISPENDR + 4, 4) == 0
    assert b.read(GICD_ISACTIVER + 4, 4) == 0
    b.list_registers.save_from(gic.gich)

    assert a.list_registers.restore_to(gic.gich) == 1
    assert gic.gich.vmcr == a_vmcr
    assert gic.gicv.read(GICC_RPR, 4) == 0x20
    assert listed(gic.gich) == [(33, LrState.ACTIVE), (34, LrState.PENDING)]
    assert a.read(GICD_ISACTIVER + 4, 4) == bit(33)
    gic.gicv.write(GICC_EOIR, 4, 33)
    assert gic.gicv.read(GICC_IAR, 4) == 34
    assert gic.gich.eoi_count == 0


def test_sgir_to_self_pends_a_virtual_sgi() -> None:
    """SGIR 'self' or a list naming CPU 0 pends a virtual SGI; other targets are ignored."""
    gic = make_gic()
    vgic = VirtualGic("a", NUM_IRQS, gic.gicd, passthrough=[], virtual=[])
    vgic.list_registers.restore_to(gic.gich)
    guest_setup(vgic, gic, {3: 0x60})
    vgic.write(GICD_SGIR, 4, SGIR_SELF | 3)
    vgic.write(GICD_SGIR, 4, 0x02 << 16 | 5)  # CPU 1 only: no such vCPU
    vgic.write(GICD_SGIR, 4, SGIR_OTHERS | 6)
    vgic.write(GICD_SGIR, 4, 0x01 << 16 | 4)  # CPU 0 by list: pending, but disabled
    assert vgic.read(GICD_ISPENDR, 4) == 1 << 3 | 1 << 4
    assert (vgic.read(GICD_SPENDSGIR, 4), vgic.read(GICD_SPENDSGIR + 4, 4)) == (0x0100_0000, 0x01)
    assert gic.gicd.pending_sgi_sources(3) == 0
    assert vgic.list_registers.flush_to(gic.gich) == 1
    assert gic.gich.list_register(0) == make_list_register(3, 0x60, source_cpu=0)
    assert gic.gicv.read(GICC_IAR, 4) == 3


def test_constructor_rejects_bad_interrupt_sets() -> None:
    """Passthrough/virtual IRQs must be disjoint SPIs below num_irqs."""
    gicd = GicDistributor(NUM_IRQS)
    for passthrough, virtual in (([5], []), ([], [20]), ([40], [40]), ([96], []), ([], [200])):
        with pytest.raises(ValueError):
            VirtualGic("a", NUM_IRQS, gicd, passthrough=passthrough, virtual=virtual)
    with pytest.raises(ValueError):
        VirtualGic("a", 16, gicd, passthrough=[], virtual=[])


def test_injection_api_checks_kind_and_loading() -> None:
    """Wrong injection kinds, foreign IRQs and unloaded or double loads are errors."""
    gic = make_gic()
    a = VirtualGic("a", NUM_IRQS, gic.gicd, passthrough=[40], virtual=[50])
    b = VirtualGic("b", NUM_IRQS, gic.gicd, passthrough=[], virtual=[51])
    for call, irq in ((a.raise_virtual, 40), (a.physical_arrived, 50), (a.raise_virtual, 51)):
        with pytest.raises(ValueError):
            call(irq)
    with pytest.raises(RuntimeError):
        a.list_registers.maintenance(gic.gich)
    with pytest.raises(RuntimeError):
        a.list_registers.save_from(gic.gich)
    a.list_registers.restore_to(gic.gich)
    with pytest.raises(RuntimeError):
        a.list_registers.restore_to(gic.gich)
    guest_setup(a, gic, {50: 0})
    a.raise_virtual(50)
    a.list_registers.flush_to(gic.gich)
    with pytest.raises(RuntimeError):
        b.list_registers.restore_to(gic.gich)  # A's interrupt is still in an LR


@pytest.mark.parametrize("listed", [False, True])
def test_raising_answers_as_the_general_deliverable_test(listed: bool) -> None:
    """``raise_virtual`` and ``physical_arrived`` answer without ``_deliverable`` when no LR
    holds the interrupt: over distributor on/off, interrupt enabled/disabled and active or
    not, the answer is ``_deliverable``'s, and the interrupt is pending and queued."""
    for on, enabled, active in [(a, b, c) for a in (0, 1) for b in (0, 1) for c in (0, 1)]:
        gic = make_gic()
        vgic = VirtualGic("a", NUM_IRQS, gic.gicd, passthrough=[40], virtual=[50])
        vgic.list_registers.restore_to(gic.gich)
        for irq, raise_it in ((50, vgic.raise_virtual), (40, vgic.physical_arrived)):
            vgic.enabled = bool(on)
            vgic.set_enabled(irq, bool(enabled))
            if active:
                vgic.set_active(irq, True)
            if listed:
                vgic.list_registers.flush_to(gic.gich)
            answer = raise_it(irq)
            state = vgic.states.irqs[irq]
            assert answer is vgic._deliverable(state), (on, enabled, active, irq)
            assert irq in vgic.states.queued and state.pending


def _level_vgic() -> VirtualGic:
    """A VM with PPI 27 (as a vCPU timer's) and virtual SPI 40, both enabled."""
    vgic = VirtualGic("a", 64, GicDistributor(64), passthrough=[], virtual=[40])
    vgic.enabled = True
    vgic.set_enabled(27, True)
    vgic.set_enabled(40, True)
    return vgic


def test_a_level_source_is_pending_again_only_while_high_and_idle() -> None:
    vgic, level = _level_vgic(), [False]
    vgic.set_level_source(27, lambda: level[0])
    assert not vgic.resample(27) and not vgic.is_pending(27)
    level[0] = True
    assert vgic.resample(27) and vgic.is_pending(27)
    assert not vgic.resample(27)  # already pending: nothing more
    assert not vgic.resample(40)  # not a level source


def test_a_level_source_in_a_list_register_is_not_sampled_again() -> None:
    vgic, gich = _level_vgic(), GicHypInterface(4)
    vgic.set_level_source(27, lambda: True)
    assert vgic.resample(27)
    assert vgic.list_registers.restore_to(gich) == 1
    assert not vgic.resample(27)
