"""The GICD register file a VM sees: its own interrupts' fields, RAZ/WI and violations elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from rthv.board.gic import GicDistributor
from rthv.board.gic.regs import (
    GICD_FIELD_GROUPS,
    GICD_IGROUPR,
    GICD_IPRIORITYR,
    GICD_ISENABLER,
    ICFGR_EDGE,
)
from rthv.hv.vgic import VirtualGic
from rthv.hv.vgic_registers import (
    VM_CPU_MASK,
    GicdRegisterFile,
    GicdViolation,
    VirqKind,
    VirqState,
)

OWN, FOREIGN = 40, 41  # SPIs in the same ISENABLER word (32..63)


def _registers() -> tuple[GicdRegisterFile, VirtualGic]:
    vgic = VirtualGic("a", 64, GicDistributor(64), passthrough=[], virtual=[OWN])
    return GicdRegisterFile(vgic), vgic


def test_own_fields_change_the_state_and_foreign_ones_read_as_zero() -> None:
    """Setting both enable bits enables only the VM's IRQ and reports the other one."""
    registers, vgic = _registers()
    both = 1 << (OWN - 32) | 1 << (FOREIGN - 32)
    violations = registers.write(GICD_ISENABLER + 4, 4, both)
    assert violations == [GicdViolation(GICD_ISENABLER + 4, FOREIGN, both)]
    assert vgic.is_enabled(OWN) and registers.read(GICD_ISENABLER + 4, 4) == 1 << (OWN - 32)


def test_byte_fields_and_read_only_rows() -> None:
    """A priority byte of the VM's IRQ reads back (masked to the implemented bits); IGROUPR
    is RAZ/WI for every interrupt and never a violation."""
    registers, _ = _registers()
    assert registers.write(GICD_IPRIORITYR + OWN, 1, 0xA7) == []
    assert registers.read(GICD_IPRIORITYR + OWN, 1) == 0xA7 & 0xF8
    assert registers.write(GICD_IGROUPR + 4, 4, 0xFFFF_FFFF) == []
    assert registers.read(GICD_IGROUPR + 4, 4) == 0


def test_list_register_order_puts_active_first_then_priority_then_id() -> None:
    """The sort key the list registers are filled by."""
    states = [
        VirqState(50, VirqKind.VIRTUAL, edge=True, priority=0x10),
        VirqState(45, VirqKind.VIRTUAL, edge=True, priority=0x80, active=True),
        VirqState(40, VirqKind.VIRTUAL, edge=True, priority=0x10),
    ]
    assert [s.irq for s in sorted(states, key=VirqState.order)] == [45, 40, 50]
    assert VirqState(33, VirqKind.PASSTHROUGH, edge=False).hardware


def _own_field(vgic: VirtualGic, get: Callable[[int], int], irq: int) -> int:
    return int(get(irq)) if vgic.owns(irq) else 0


def test_every_field_reads_as_the_backend_answers_for_its_own_interrupts() -> None:
    """Every GICD field group at every offset and access size reads what the backend's
    getters say for the interrupts the VM owns and zero for every other one."""
    vgic = VirtualGic("a", 96, GicDistributor(96), passthrough=[44, 70], virtual=[40, 65])
    registers = GicdRegisterFile(vgic)
    for irq in (1, 27, 40, 44, 65):
        vgic.set_enabled(irq, True)
        vgic.set_priority(irq, irq * 8)
    vgic.set_edge(44, True)
    vgic.set_pending(1, True)
    vgic.set_pending(40, True)
    vgic.set_active(65, True)
    expected_fields: dict[str, Callable[[int], int]] = {
        "group": lambda irq: 0,
        "set_enable": vgic.is_enabled,
        "clear_enable": vgic.is_enabled,
        "set_pending": vgic.is_pending,
        "clear_pending": vgic.is_pending,
        "set_active": vgic.is_active,
        "clear_active": vgic.is_active,
        "priority": vgic.priority,
        "targets": lambda irq: VM_CPU_MASK,
        "config": lambda irq: ICFGR_EDGE if vgic.is_edge(irq) else 0,
        "clear_sgi_pending": lambda irq: VM_CPU_MASK if vgic.is_pending(irq) else 0,
        "set_sgi_pending": lambda irq: VM_CPU_MASK if vgic.is_pending(irq) else 0,
    }
    reads = 0
    for group in GICD_FIELD_GROUPS:
        get = expected_fields[group.name]
        for offset in range(group.start, group.end, 4):
            for size in (1, 4):
                expected = group.join(offset, size, partial(_own_field, vgic, get))
                assert registers.read(offset, size) == expected, (group.name, offset, size)
                reads += expected != 0
    assert reads > 10


def test_owned_is_the_set_owns_answers_for() -> None:
    """The membership test the register file uses agrees with ``owns`` for every ID."""
    vgic = VirtualGic("a", 96, GicDistributor(96), passthrough=[44], virtual=[40])
    assert [irq in vgic.owned for irq in range(1024)] == [vgic.owns(i) for i in range(1024)]
    assert 40 in vgic.owned and 44 in vgic.owned and 41 not in vgic.owned
