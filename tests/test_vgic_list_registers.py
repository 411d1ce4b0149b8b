"""Delivering a VM's interrupts through the GICH: flush, overflow maintenance, save/restore."""

from __future__ import annotations

import random
from typing import ClassVar

import pytest

from rthv.board.gic import GicCpuInterface, GicDistributor, GicHypInterface, GicVirtualCpuInterface
from rthv.board.gic.list_register import LrState, lr_state
from rthv.board.gic.regs import (
    GICC_CTLR_ENABLE_GRP0,
    GICC_CTLR_EOIMODE,
    GICC_EOIR,
    GICC_IAR,
    HCR_EN,
    HCR_UIE,
    IAR_ID_MASK,
    LR_EOI,
    SPURIOUS_ID,
    VMCR_ENG0,
    VMCR_PMR_SHIFT,
)
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
    assert vgic.list_registers.flush_to(gich) == 4
    assert sorted(lr & 0x3FF for lr in gich.list_registers) == [41, 42, 43, 44]
    assert gich.hcr & (HCR_EN | HCR_UIE) == HCR_EN | HCR_UIE
    assert all(lr & LR_EOI for lr in gich.list_registers)


def test_a_switch_folds_list_registers_back_and_parks_the_interface() -> None:
    """save_from leaves the GICH empty and off; restore_to lists the same interrupts again."""
    vgic, gich = _vgic(), GicHypInterface(4)
    vgic.raise_virtual(40)
    vgic.list_registers.flush_to(gich)
    vgic.list_registers.save_from(gich)
    assert (gich.hcr, vgic.list_registers.loaded) == (0, False)
    assert all(lr_state(lr) == LrState.INVALID for lr in gich.list_registers)
    assert vgic.is_pending(40)
    assert vgic.list_registers.restore_to(gich) == 1 and vgic.list_registers.loaded
    assert [lr & 0x3FF for lr in gich.list_registers if lr_state(lr)] == [40]


def _vgic_named(name: str) -> VirtualGic:
    vgic = VirtualGic(name, 64, GicDistributor(64), passthrough=[], virtual=[40])
    vgic.enabled = True
    vgic.set_enabled(40, True)
    return vgic


def test_a_gich_holding_another_vcpus_interrupts_is_refused() -> None:
    a, b, gich = _vgic_named("a"), _vgic_named("b"), GicHypInterface(4)
    assert not a.list_registers.loaded
    a.raise_virtual(40)
    assert a.list_registers.restore_to(gich) == 1 and a.list_registers.loaded
    with pytest.raises(RuntimeError, match="b: GICH still holds another vCPU's interrupts"):
        b.list_registers.restore_to(gich)
    assert not b.list_registers.loaded


def test_the_steps_on_one_listed_interrupt() -> None:
    """``lr_state``, ``activate``, ``withdraw`` and ``recall`` change only the LR holding the
    interrupt (an emptied LR is freed); each answers without a change when no LR holds it."""
    vgic, gich = _vgic(), GicHypInterface(4)
    lists = vgic.list_registers
    vgic.raise_virtual(40)
    assert lists.flush_to(gich) == 1 and dict(lists.listed) == {40: 0}
    assert (lists.lr_state(40), lists.lr_state(41)) == (LrState.PENDING, LrState.INVALID)
    assert lists.activate(40) and lists.lr_state(40) == LrState.PENDING_ACTIVE
    assert not lists.activate(41) and not lists.withdraw(41, LrState.PENDING)
    assert lists.any_deliverable() is False  # pending behind its own active instance
    assert lists.withdraw(40, LrState.ACTIVE) and lists.lr_state(40) == LrState.PENDING
    assert lists.any_deliverable()
    assert not lists.withdraw(40, LrState.ACTIVE)  # (no active part left)
    lists.recall(40)  # its pending part back into the queue, the LR freed
    assert dict(lists.listed) == {} and lr_state(gich.list_registers[0]) == LrState.INVALID
    assert vgic.states.queued == {40} and vgic.states.irqs[40].pending
    assert not lists.any_deliverable()
    assert lists.flush_to(gich) == 1 and lists.withdraw(40, LrState.PENDING)
    assert dict(lists.listed) == {} and not vgic.is_pending(40)


# ---------------------------------------------------------------- the short way of an arrival


class _World:
    """A physical GIC, a GICH/GICV and one VM's vGIC, driven as the hypervisor and a guest
    drive them; ``short`` takes the short ways (``acknowledge_and_drop``, ``inject_arrived``,
    ``_list_alone``, the GICV's settled IAR/EOIR, the distributor's kept highest pending
    interrupt and the GICV's kept signalled LR), else the general ones (fresh scans)."""

    PASSTHROUGH = (40, 41)
    VIRTUAL = (50, 51, 52, 53)

    def __init__(self, *, short: bool, list_registers: int) -> None:
        self.short = short
        self.gicd = GicDistributor(64)
        self.gicc = GicCpuInterface(self.gicd)
        self.gich = GicHypInterface(list_registers)
        self.gicv = GicVirtualCpuInterface(self.gich, self.gicc.deactivate)
        if not short:
            self.gicv._settled_without_pending = lambda: False  # type: ignore[method-assign]
        self.gicd.enabled = True
        self.gicc.ctlr = GICC_CTLR_ENABLE_GRP0 | GICC_CTLR_EOIMODE
        self.gicc.pmr = 0xFF
        self.vgic = VirtualGic(
            "a", 64, self.gicd, passthrough=self.PASSTHROUGH, virtual=self.VIRTUAL
        )
        self.vgic.enabled = True
        self.line = False  # a level-sensitive source of virtual IRQ 53 (as a timer's)
        self.vgic.set_level_source(53, lambda: self.line)
        for index, irq in enumerate(self.PASSTHROUGH + self.VIRTUAL):
            self.vgic.set_enabled(irq, True)
            self.vgic.set_priority(irq, 0x40 + 0x10 * (index % 3))
        self.listed_alone: list[int | None] = []
        lists = self.vgic.list_registers
        if short:
            list_alone = lists._list_alone

            def recorded(gich: GicHypInterface) -> int | None:
                self.listed_alone.append(list_alone(gich))
                return self.listed_alone[-1]

            lists._list_alone = recorded  # type: ignore[method-assign]
        else:
            lists._list_alone = lambda _gich: None  # type: ignore[method-assign,assignment]
        lists.flush_to(self.gich)  # loaded
        self.gich.vmcr = VMCR_ENG0 | 0x1F << VMCR_PMR_SHIFT  # the guest's GICC_CTLR and PMR
        self.taken: list[int | None] = []

    def step(self, action: str, irq: int) -> object:
        """One hypervisor or guest action; returns what it returned."""
        vgic, gich = self.vgic, self.gich
        if not self.short:  # nothing kept from the last change: found afresh
            self.gicd._highest.clear()
            self.gicv.signalled_lr = self.gicv._signalled()
        if action == "device":  # a passthrough device raises its line, PL2 takes the IRQ
            self.gicd.set_pending(irq, True)
            if self.short:
                taken = self.gicc.acknowledge_and_drop() & IAR_ID_MASK
            else:
                taken = self.gicc.acknowledge() & IAR_ID_MASK
                if taken != SPURIOUS_ID:
                    self.gicc.end_of_interrupt(taken)
            if taken == SPURIOUS_ID:
                return taken
            injected = vgic.list_registers.inject_arrived(taken, gich) if self.short else None
            self.taken.append(injected)
            if injected is None and vgic.physical_arrived(taken):
                injected = vgic.list_registers.flush_to(gich)
            return (taken, injected)
        if action == "virtual":
            return vgic.raise_virtual(irq) and vgic.list_registers.flush_to(gich)
        if action == "burst":  # every virtual IRQ at once: more than the LRs hold
            for virtual in self.VIRTUAL:
                vgic.raise_virtual(virtual)
            return vgic.list_registers.flush_to(gich)
        if action in ("irq-off", "irq-on"):  # the guest's ICENABLER/ISENABLER
            vgic.set_enabled(irq, action == "irq-on")
            return vgic.list_registers.flush_to(gich)
        if action in ("gicd-off", "gicd-on"):  # the guest's GICD_CTLR.Enable
            vgic.enabled = action == "gicd-on"
            return vgic.list_registers.flush_to(gich)
        if action == "maintenance":
            return vgic.list_registers.maintenance(gich)
        if action == "switch":  # the vCPU goes off the CPU and comes back
            vgic.list_registers.save_from(gich)
            return vgic.list_registers.restore_to(gich)
        if action == "line":  # the level source rises (a pending edge) or falls
            self.line = not self.line
            return self.line and vgic.raise_virtual(53) and vgic.list_registers.flush_to(gich)
        if action == "drop":  # the guest's ICACTIVER and ICPENDR: deactivated physically
            vgic.set_active(irq, False)
            vgic.set_pending(irq, False)
            return None
        if action == "iar":
            return self.gicv.read(GICC_IAR, 4)
        assert action == "eoir", action
        self.gicv.write(GICC_EOIR, 4, irq)
        return None

    def state(self) -> object:
        """Everything the two ways must agree on."""
        gicd, vgic = self.gicd, self.vgic
        return (
            self.gich.save(),
            self.gich.maintenance_out.level,
            self.gicv.virq_out.level,
            self.gicc.irq_out.level,
            self.gicc.active_stack,
            [(gicd.is_pending(i), gicd.is_active(i), gicd.is_enabled(i)) for i in range(64)],
            sorted(vgic.states.queued),
            sorted(vgic.list_registers.listed.items()),
            sorted((irq, repr(state)) for irq, state in vgic.states.irqs.items()),
            vgic.has_deliverable() if self.short else _has_deliverable_the_general_way(vgic),
        )


def _has_deliverable_the_general_way(vgic: VirtualGic) -> bool:
    """``VirtualGic.has_deliverable`` by its definition: any of the VM's interrupts at all."""
    return any(vgic._deliverable(state) for state in vgic.states.irqs.values())


@pytest.mark.interpreted
def test_the_short_arrival_leaves_the_same_state_as_the_general_way() -> None:
    """A seeded mix of device IRQs, virtual IRQs (one level-sensitive), guest IAR/EOIR,
    enables, drops, maintenance and world switches, with one and with four LRs: after every
    step both ways hold the same GIC, list-register, vGIC and line state and returned the
    same (and ``has_deliverable`` answered as its definition); the short way was taken, and
    also declined."""
    for list_registers in (1, 4):
        rng = random.Random(11 + list_registers)
        short = _World(short=True, list_registers=list_registers)
        general = _World(short=False, list_registers=list_registers)
        acks: list[int] = []
        deliverable: set[bool] = set()  # what has_deliverable answered (both, in the mix)
        actions = ["device"] * 6 + ["iar", "eoir"] * 4
        actions += ["virtual", "maintenance", "drop", "irq-off", "gicd-off", "line", "switch"]
        actions += ["irq-on", "gicd-on"] * 3
        actions += ["burst"] if list_registers > 1 else []  # (one LR would stay overflowed)
        for step in range(1500):
            action = rng.choice(actions)
            irq = rng.choice(_World.VIRTUAL if action == "virtual" else _World.PASSTHROUGH)
            if action in ("irq-off", "irq-on", "drop"):
                irq = rng.choice(_World.PASSTHROUGH + _World.VIRTUAL)
            if action == "eoir":
                if not acks:
                    continue
                irq = acks.pop()  # the latest first, as a guest nests them
            results = short.step(action, irq), general.step(action, irq)
            assert results[0] == results[1], (step, action, irq)
            if action == "iar" and results[0] != SPURIOUS_ID:
                assert isinstance(results[0], int)
                acks.append(results[0])
            assert short.state() == general.state(), (step, action, irq)
            deliverable.add(short.vgic.has_deliverable())
        assert deliverable == {False, True}, list_registers
        for ways in (short.taken, short.listed_alone):
            assert any(n is not None for n in ways), (list_registers, "short way never taken")
            assert any(n is None for n in ways), (list_registers, "short way never declined")


@pytest.mark.interpreted
def test_a_finished_level_interrupt_is_sampled_again_when_a_device_irq_arrives() -> None:
    """The guest EOIs the level-sensitive 53 while its line stays high, then device IRQ 40
    arrives before the EOI maintenance: both ways pend 53 again and list it next to 40."""
    worlds = [_World(short=True, list_registers=4), _World(short=False, list_registers=4)]
    for world in worlds:
        world.step("line", 53)
        assert world.step("iar", 0) == 53
        world.step("eoir", 53)
        assert world.step("device", 40) == (40, 2)
    assert worlds[0].state() == worlds[1].state()
    assert sorted(worlds[0].vgic.list_registers.listed) == [40, 53]


@pytest.mark.interpreted
def test_an_interrupt_queued_alone_waits_while_the_distributor_is_off() -> None:
    """Device IRQ 40 arrives while the guest's distributor is off: a flush lists nothing, both
    ways; once it is on, the flush lists 40 alone."""
    worlds = [_World(short=True, list_registers=4), _World(short=False, list_registers=4)]
    for world in worlds:
        world.step("gicd-off", 0)
        assert world.step("device", 40) == (40, None)
        assert world.step("maintenance", 0) == 0 and not world.vgic.list_registers.listed
        assert world.step("gicd-on", 0) == 1
    assert worlds[0].state() == worlds[1].state()
    assert worlds[0].listed_alone[-1] == 1 and list(worlds[0].vgic.list_registers.listed) == [40]


@pytest.mark.interpreted
def test_a_switch_out_pends_a_finished_level_interrupt_whose_line_is_still_high() -> None:
    """53's line stays high after the guest's EOI: switched out, 53 is pending again (queued),
    and the switch back in lists it; with the line low, nothing is left."""
    for line in (True, False):
        world = _World(short=True, list_registers=4)
        world.step("line", 53)
        assert world.step("iar", 0) == 53
        world.step("eoir", 53)
        world.line = line
        world.vgic.list_registers.save_from(world.gich)
        assert world.vgic.is_pending(53) is line and sorted(world.vgic.states.queued) == [53] * line
        assert world.vgic.list_registers.restore_to(world.gich) == int(line)


@pytest.mark.interpreted
def test_an_interrupt_in_service_and_pending_again_is_not_deliverable() -> None:
    """Virtual IRQ 50 taken by the guest (IAR) and raised again: pending behind its own active
    instance, it is not deliverable, in its list register nor folded back by a switch-out."""
    world = _World(short=True, list_registers=4)
    world.step("virtual", 50)
    assert world.step("iar", 50) == 50
    world.step("virtual", 50)
    vgic = world.vgic
    assert (vgic.has_deliverable(), _has_deliverable_the_general_way(vgic)) == (False, False)
    vgic.list_registers.flush_to(world.gich)  # merged into its LR: pending and active
    assert (vgic.has_deliverable(), _has_deliverable_the_general_way(vgic)) == (False, False)
    vgic.list_registers.save_from(world.gich)
    assert (vgic.has_deliverable(), _has_deliverable_the_general_way(vgic)) == (False, False)
    vgic.list_registers.restore_to(world.gich)
    world.step("eoir", 50)
    assert (vgic.has_deliverable(), _has_deliverable_the_general_way(vgic)) == (True, True)


class _TwoVms:
    """Two VMs' vGICs on one physical GIC and GICH, one loaded at a time; ``short`` switches
    with ``hand_over``, else with ``save_from`` and ``restore_to`` (both inside a batch, as
    the hypervisor's world switch makes them)."""

    VMS: ClassVar[dict[str, tuple[tuple[int, ...], tuple[int, ...]]]] = {
        "a": ((40,), (50, 51)),
        "b": ((41,), (52, 53)),
    }

    def __init__(self, *, short: bool) -> None:
        self.short = short
        self.gicd = GicDistributor(64)
        self.gicc = GicCpuInterface(self.gicd)
        self.gich = GicHypInterface(2)
        self.gicv = GicVirtualCpuInterface(self.gich, self.gicc.deactivate)
        self.gicd.enabled = True
        self.gicc.ctlr = GICC_CTLR_ENABLE_GRP0 | GICC_CTLR_EOIMODE
        self.gicc.pmr = 0xFF
        self.line = False  # a level-sensitive source of b's virtual IRQ 53
        self.vgics: dict[str, VirtualGic] = {}
        for name, (passthrough, virtual) in self.VMS.items():
            vgic = VirtualGic(name, 64, self.gicd, passthrough=passthrough, virtual=virtual)
            vgic.enabled = True
            for index, irq in enumerate(passthrough + virtual):
                vgic.set_enabled(irq, True)
                vgic.set_priority(irq, 0x40 + 0x10 * index)
            self.vgics[name] = vgic
        self.vgics["b"].set_level_source(53, lambda: self.line)
        self.loaded = "a"
        self.vgics["a"].list_registers.flush_to(self.gich)
        self.gich.vmcr = VMCR_ENG0 | 0x1F << VMCR_PMR_SHIFT

    def step(self, action: str, vm: str, irq: int) -> object:
        """One hypervisor or guest action (``vm`` and ``irq`` as they apply); its result."""
        vgic, gich = self.vgics[vm], self.gich
        loaded = vm == self.loaded
        if action == "device":
            irq = self.VMS[vm][0][0]
            self.gicd.set_pending(irq, True)
            taken = self.gicc.acknowledge_and_drop() & IAR_ID_MASK
            if taken == SPURIOUS_ID:
                return taken
            return vgic.physical_arrived(taken) and loaded and vgic.list_registers.flush_to(gich)
        if action == "virtual":
            irq = self.VMS[vm][1][irq % 2]
            return vgic.raise_virtual(irq) and loaded and vgic.list_registers.flush_to(gich)
        if action == "line":
            self.line = not self.line
            return self.line and self.vgics["b"].raise_virtual(53)
        if action == "switch":
            outgoing, self.loaded = self.vgics[self.loaded], "b" if self.loaded == "a" else "a"
            with gich.batch():
                if self.short:
                    return outgoing.list_registers.hand_over(
                        self.vgics[self.loaded].list_registers, gich
                    )
                outgoing.list_registers.save_from(gich)
                return self.vgics[self.loaded].list_registers.restore_to(gich)
        if action == "iar":
            return self.gicv.read(GICC_IAR, 4)
        assert action == "eoir", action
        self.gicv.write(GICC_EOIR, 4, irq)
        return None

    def state(self) -> object:
        """Everything the two ways must agree on."""
        return (
            self.gich.save(),
            self.gich.maintenance_out.level,
            self.gicv.virq_out.level,
            self.gicc.irq_out.level,
            [(self.gicd.is_pending(i), self.gicd.is_active(i)) for i in range(64)],
            [
                (
                    sorted(v.states.queued),
                    sorted(v.list_registers.listed.items()),
                    (v.states.hcr, v.states.vmcr, v.states.apr, v.list_registers.loaded),
                    sorted((irq, repr(state)) for irq, state in v.states.irqs.items()),
                )
                for v in self.vgics.values()
            ],
        )


def test_a_vcpu_handing_the_gich_over_to_another_leaves_the_state_of_a_save_and_restore() -> None:
    """A seeded mix of device and virtual IRQs for both VMs (one level-sensitive), the loaded
    guest's IAR/EOIR and world switches between the two, with two LRs: after every step the
    switch in one step (``hand_over``) and the save and restore hold the same GIC, list
    register, vGIC and line state and returned the same."""
    rng = random.Random(7)
    short, general = _TwoVms(short=True), _TwoVms(short=False)
    acks: list[int] = []
    actions = ["device", "virtual"] * 3 + ["iar", "eoir"] * 3 + ["switch"] * 2 + ["line"]
    switches = 0
    for step in range(1500):
        action, vm, irq = rng.choice(actions), rng.choice("ab"), rng.randrange(2)
        if action == "eoir":
            if not acks:
                continue
            irq = acks.pop()
        if action == "switch":
            acks.clear()  # (a guest's unfinished interrupts stay with it, unfinished)
            switches += 1
        results = short.step(action, vm, irq), general.step(action, vm, irq)
        assert results[0] == results[1], (step, action, vm, irq)
        if action == "iar" and results[0] != SPURIOUS_ID:
            assert isinstance(results[0], int)
            acks.append(results[0])
        assert short.state() == general.state(), (step, action, vm, irq)
    assert switches > 100
