"""A VM's interrupt states: lookup, the queue and its two rules, the saved interface state, and
the one state object the virtual GIC's two parts share."""

from __future__ import annotations

import pytest

from rthv.board.gic import GicDistributor, GicHypInterface
from rthv.board.gic.regs import HCR_EN, VMCR_ENG0, VMCR_PMR_SHIFT, VMCR_RESET
from rthv.hv.vgic import VirtualGic
from rthv.hv.vgic_interrupt_states import VgicInterruptStates
from rthv.hv.vgic_registers import VirqKind, VirqState


def _states() -> VgicInterruptStates:
    return VgicInterruptStates(
        "a",
        [VirqState(27, VirqKind.BANKED, edge=False), VirqState(40, VirqKind.VIRTUAL, edge=True)],
    )


def test_a_new_vm_has_nothing_queued_its_distributor_off_and_a_reset_interface() -> None:
    states = _states()
    assert sorted(states.irqs) == [27, 40] and states.irqs[40].irq == 40
    assert (states.queued, states.levels, states.enabled) == (set(), {}, False)
    assert (states.hcr, states.vmcr, states.apr) == (HCR_EN, VMCR_RESET, 0)


def test_an_interrupt_not_the_vms_is_refused_by_name() -> None:
    states = _states()
    assert states.state(27) is states.irqs[27]
    with pytest.raises(ValueError, match="a: interrupt 41 is not this VM's"):
        states.state(41)


def test_queueing_marks_the_state_and_settling_keeps_only_pending_or_active_ones() -> None:
    states = _states()
    ppi, spi = states.irqs[27], states.irqs[40]
    states.queue(ppi, pending=True)
    states.queue(spi, active=True)
    assert (ppi.pending, ppi.active, spi.pending, spi.active) == (True, False, False, True)
    assert states.queued == {27, 40}
    states.settle()
    assert states.queued == {27, 40}  # both still pending or active
    ppi.pending = False  # (as a list register takes it)
    states.settle()
    assert states.queued == {40}
    spi.active = False
    states.settle()
    assert states.queued == set()


def test_the_queue_is_one_set_for_good() -> None:
    """The parts keep the containers at hand: settling changes the set, never replaces it."""
    states = _states()
    queued = states.queued
    states.queue(states.irqs[27], pending=True)
    states.irqs[27].pending = False
    states.settle()
    assert states.queued is queued and not queued


def test_the_virtual_gic_is_composed_of_one_state_shared_by_its_parts() -> None:
    """The facade and its list registers work on the same interrupt states: what the guest's
    distributor queues, a flush lists, and a switch-out saves the interface into them."""
    vgic = VirtualGic("a", 64, GicDistributor(64), passthrough=[], virtual=[40])
    assert not isinstance(vgic, VgicInterruptStates)
    assert isinstance(vgic.states, VgicInterruptStates)
    assert vgic.list_registers.states is vgic.states
    vgic.enabled = True
    vgic.set_enabled(40, True)
    assert vgic.states.enabled and vgic.states.irqs[40].enabled
    assert vgic.raise_virtual(40) and vgic.states.queued == {40}
    gich = GicHypInterface(4)
    assert vgic.list_registers.flush_to(gich) == 1
    assert vgic.states.queued == set() and dict(vgic.list_registers.listed) == {40: 0}
    gich.vmcr = VMCR_ENG0 | 0x1F << VMCR_PMR_SHIFT  # the guest's GICC_CTLR and PMR
    vgic.list_registers.save_from(gich)
    assert vgic.states.vmcr == VMCR_ENG0 | 0x1F << VMCR_PMR_SHIFT and vgic.is_pending(40)
