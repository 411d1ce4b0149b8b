"""PSCI, the Arm Power State Coordination Interface (DEN 0022), version 0.2, for one-vCPU VMs.

A guest calls it with ``hvc #0`` or ``smc #0``: function ID in r0 (the SMC32 and SMC64 ranges
0x84000000.. and 0xC4000000..), arguments in r1-r3, result in r0. rthv implements what a VM with
one vCPU needs: ``PSCI_VERSION`` (0.2), ``SYSTEM_OFF`` (the VM stops for good, with a report
line) and ``SYSTEM_RESET`` (the VM starts again from its images). Every other PSCI function
returns ``NOT_SUPPORTED``. See docs/hypercalls.md.

PSCI calls have the shape of hypercalls: ``PSCI_CALLS`` maps each function ID to its handler,
so a new call is its ID in ``PsciFunction`` and its handler in the table; ``traps.firmware_call``
dispatches it for HVC and SMC alike.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Final, Protocol

from rthv.hv.hypercalls import Arguments

PSCI_VERSION_0_2: Final = 0x0000_0002  # major 0 (bits 31:16), minor 2
_SERVICE_MASK: Final = 0xFFFF_FFE0
_STANDARD_SERVICE: Final = (0x8400_0000, 0xC400_0000)  # SMC32, SMC64: functions 0x00-0x1F


class PsciFunction(enum.IntEnum):
    """The PSCI functions rthv implements (SMC32 IDs)."""

    VERSION = 0x8400_0000
    SYSTEM_OFF = 0x8400_0008
    SYSTEM_RESET = 0x8400_0009


class PsciStatus(enum.IntEnum):
    """PSCI return codes (r0), negative."""

    NOT_SUPPORTED = -1


def is_psci(function: int) -> bool:
    """True if ``function`` (r0) is a PSCI function ID, implemented or not."""
    return function & _SERVICE_MASK in _STANDARD_SERVICE


class PsciContext(Protocol):
    """What a PSCI handler may ask for: the calling VM switched off or reset. Either happens
    once the call is traced; the guest never sees the call return."""

    def power_off(self, how: str) -> None:
        """Switch the calling VM off for good, cleanly."""
        ...

    def reset(self, how: str) -> None:
        """Start the calling VM again from its images."""
        ...


PsciHandler = Callable[[PsciContext, Arguments], int]


def _version(call: PsciContext, args: Arguments) -> int:
    return PSCI_VERSION_0_2


def _system_off(call: PsciContext, args: Arguments) -> int:
    call.power_off("PSCI SYSTEM_OFF")
    return 0


def _system_reset(call: PsciContext, args: Arguments) -> int:
    call.reset("PSCI SYSTEM_RESET")
    return 0


PSCI_CALLS: dict[int, PsciHandler] = {
    PsciFunction.VERSION: _version,
    PsciFunction.SYSTEM_OFF: _system_off,
    PsciFunction.SYSTEM_RESET: _system_reset,
}


def psci_handler(function: int) -> PsciHandler | None:
    """The handler of PSCI ``function`` (r0), or None (``NOT_SUPPORTED``)."""
    return PSCI_CALLS.get(function)
