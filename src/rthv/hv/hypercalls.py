"""The hypercall ABI and its handlers: ``hvc #0``, function number in r0, arguments in r1-r3,
status back in r0.

See docs/hypercalls.md. A non-negative r0 is success (some calls return a value), a negative r0
an error. Every call is counted per VM, errors too. ``HYPERCALLS`` maps each function number to
its handler, so a new call is its number in ``Hypercall`` and its handler in the table.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Protocol

ABI_VERSION = 0x0001_0000  # major 1, minor 0
HVC_IMMEDIATE = 0
MAX_CHANNEL_ID = 0xFFFF  # the notify hypercall's channel argument (r1)


class Hypercall(enum.IntEnum):
    """Function numbers (r0 on entry)."""

    VERSION = 0
    NOTIFY = 1
    VM_ID = 2


class HypercallError(enum.IntEnum):
    """Status codes (r0 on return), negative."""

    NOSYS = -1  # unknown function, or an HVC immediate other than 0
    INVAL = -2  # an argument out of range
    NOCHAN = -3  # no notify channel with that number from the calling VM
    PERM = -4  # the call is not allowed: the receiving VM has stopped


def as_register(value: int) -> int:
    """A status as the 32-bit value written to r0."""
    return value & 0xFFFFFFFF


Arguments = tuple[int, int, int]  # r1, r2, r3


class HypercallContext(Protocol):
    """What a hypercall handler may use: the caller's identity and the hypervisor's services."""

    @property
    def vm_index(self) -> int:
        """The calling VM's number: its position in the configuration."""
        ...

    def notify(self, channel: int) -> int:
        """Raise the vIRQ of the caller's notify ``channel`` in its peer; the status."""
        ...

    def record(self, kind: str, detail: str) -> None:
        """Add an event about the caller to the trace."""
        ...


HypercallHandler = Callable[[HypercallContext, Arguments], int]


def _version(call: HypercallContext, args: Arguments) -> int:
    return ABI_VERSION


def _notify(call: HypercallContext, args: Arguments) -> int:
    return call.notify(args[0])


def _vm_id(call: HypercallContext, args: Arguments) -> int:
    return call.vm_index


HYPERCALLS: dict[int, HypercallHandler] = {
    Hypercall.VERSION: _version,
    Hypercall.NOTIFY: _notify,
    Hypercall.VM_ID: _vm_id,
}


def hypercall_handler(function: int, immediate: int) -> HypercallHandler | None:
    """The handler of ``hvc #immediate`` with ``function`` in r0, or None (NOSYS)."""
    return HYPERCALLS.get(function) if immediate == HVC_IMMEDIATE else None
