"""The hypercall ABI: ``hvc #0``, function number in r0, arguments in r1-r3, status back in r0.

See docs/hypercalls.md. A non-negative r0 is success (some calls return a value), a negative r0
an error. Every call is counted per VM, errors too.
"""

from __future__ import annotations

import enum

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
    PERM = -4  # reserved: the call is not allowed for this VM


def as_register(value: int) -> int:
    """A status as the 32-bit value written to r0."""
    return value & 0xFFFFFFFF
