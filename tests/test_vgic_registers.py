"""The GICD register file a VM sees: its own interrupts' fields, RAZ/WI and violations elsewhere."""

from __future__ import annotations

from rthv.board.gic import GicDistributor
from rthv.board.gic.regs import GICD_IGROUPR, GICD_IPRIORITYR, GICD_ISENABLER
from rthv.hv.vgic import VirtualGic
from rthv.hv.vgic_registers import GicdRegisterFile, GicdViolation, VirqKind, VirqState

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
