"""A VM's interrupt states: loading into a GICH, level sources sampled again."""

from __future__ import annotations

import pytest

from rthv.board.gic import GicDistributor, GicHypInterface
from rthv.hv.vgic import VirtualGic
from rthv.hv.vgic_interrupt_states import VgicInterruptStates

PPI = 27


def _vgic(name: str = "a") -> VirtualGic:
    vgic = VirtualGic(name, 64, GicDistributor(64), passthrough=[], virtual=[40])
    vgic.enabled = True
    vgic.set_enabled(PPI, True)
    vgic.set_enabled(40, True)
    return vgic


def test_the_virtual_gic_builds_on_the_interrupt_states() -> None:
    assert isinstance(_vgic(), VgicInterruptStates)


def test_a_gich_holding_another_vcpus_interrupts_is_refused() -> None:
    a, b, gich = _vgic("a"), _vgic("b"), GicHypInterface(4)
    assert not a.loaded
    a.raise_virtual(40)
    assert a.restore_to(gich) == 1 and a.loaded
    with pytest.raises(RuntimeError, match="b: GICH still holds another vCPU's interrupts"):
        b.restore_to(gich)
    assert not b.loaded


def test_a_level_source_is_pending_again_only_while_high_and_idle() -> None:
    vgic, level = _vgic(), [False]
    vgic.set_level_source(PPI, lambda: level[0])
    assert not vgic.resample(PPI) and not vgic.is_pending(PPI)
    level[0] = True
    assert vgic.resample(PPI) and vgic.is_pending(PPI)
    assert not vgic.resample(PPI)  # already pending: nothing more
    assert not vgic.resample(40)  # not a level source


def test_a_level_source_in_a_list_register_is_not_sampled_again() -> None:
    vgic, gich = _vgic(), GicHypInterface(4)
    vgic.set_level_source(PPI, lambda: True)
    assert vgic.resample(PPI)
    assert vgic.restore_to(gich) == 1
    assert not vgic.resample(PPI)
