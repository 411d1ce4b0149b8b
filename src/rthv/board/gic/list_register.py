"""GICv2 list register format (GICH_LR<n>): encoding and decoding helpers.

These run on every trap that touches the virtual interface, so they work on plain ints: a State
field is an ``int``, one of the ``LrState`` values.
"""

from __future__ import annotations

from typing import Final

from rthv.board.gic import regs
from rthv.board.gic.cpu_interface import encode_iar


class LrState:
    """GICH_LR.State values: bit 0 = pending, bit 1 = active. Plain int constants, not an
    ``IntEnum``: compiled code uses a ``Final`` class constant as a C literal, where an enum
    member would be an attribute lookup and a Python int subclass at each use."""

    INVALID: Final = 0
    PENDING: Final = 1
    ACTIVE: Final = 2
    PENDING_ACTIVE: Final = 3


def make_list_register(
    virtual_id: int,
    priority: int,
    *,
    state: int = LrState.PENDING,
    physical_id: int | None = None,
    source_cpu: int = 0,
    eoi: bool = False,
    group1: bool = False,
) -> int:
    """Encode a GICv2 list register; ``priority`` is a priority byte (top 5 bits kept).

    With ``physical_id`` the entry is hardware-linked (HW=1): a guest deactivation deactivates
    that physical interrupt. Otherwise ``source_cpu`` (SGIs) and ``eoi`` (request an EOI
    maintenance interrupt) are encoded.
    """
    value = virtual_id & regs.LR_VIRTUAL_ID_MASK
    value |= (priority >> regs.VIRTUAL_PRIORITY_SHIFT) << regs.LR_PRIORITY_SHIFT
    value |= state << regs.LR_STATE_SHIFT
    if group1:
        value |= regs.LR_GRP1
    if physical_id is not None:
        value |= regs.LR_HW | (physical_id & regs.LR_PHYSICAL_ID_MASK) << regs.LR_PHYSICAL_ID_SHIFT
    else:
        value |= (source_cpu & regs.LR_CPUID_MASK) << regs.LR_CPUID_SHIFT
        value |= regs.LR_EOI if eoi else 0
    return value


_STATE_SHIFT: Final = regs.LR_STATE_SHIFT
_STATE_MASK: Final = regs.LR_STATE_MASK
# Field masks for the GICH and GICV bookkeeping, which runs on every trap: plain ints.
STATE_BITS: Final = regs.LR_STATE_MASK << regs.LR_STATE_SHIFT
PENDING_BIT: Final = LrState.PENDING << regs.LR_STATE_SHIFT
ACTIVE_BIT: Final = LrState.ACTIVE << regs.LR_STATE_SHIFT
PENDING_ONLY: Final = PENDING_BIT
EOI_MAINTENANCE_BITS: Final = STATE_BITS | regs.LR_HW | regs.LR_EOI  # == LR_EOI: an EISR bit
PRIORITY_FIELD: Final = regs.LR_PRIORITY_MASK << regs.LR_PRIORITY_SHIFT


def lr_state(value: int) -> int:
    """The State field of list register ``value`` (an ``LrState`` value)."""
    return (value >> _STATE_SHIFT) & _STATE_MASK


def lr_priority(value: int) -> int:
    """The priority of list register ``value`` as a priority byte."""
    field = (value >> regs.LR_PRIORITY_SHIFT) & regs.LR_PRIORITY_MASK
    return field << regs.VIRTUAL_PRIORITY_SHIFT


def lr_with_state(value: int, state: int) -> int:
    """List register ``value`` with its State field replaced by ``state`` (an ``LrState``)."""
    return (value & ~STATE_BITS) | state << _STATE_SHIFT


def lr_iar_value(value: int) -> int:
    """What GICV_IAR returns for list register ``value``: virtual ID (+ source CPU for SGIs)."""
    virtual_id = value & regs.LR_VIRTUAL_ID_MASK
    if value & regs.LR_HW:
        return virtual_id
    return encode_iar(virtual_id, (value >> regs.LR_CPUID_SHIFT) & regs.LR_CPUID_MASK)


def lr_physical_id(value: int) -> int | None:
    """The physical interrupt of a HW=1 list register, None when HW=0."""
    if not value & regs.LR_HW:
        return None
    return (value >> regs.LR_PHYSICAL_ID_SHIFT) & regs.LR_PHYSICAL_ID_MASK


def lr_needs_eoi_maintenance(value: int) -> bool:
    """Whether the entry was deactivated with EOI=1 and HW=0 (an EISR bit is set for it)."""
    return value & EOI_MAINTENANCE_BITS == regs.LR_EOI
