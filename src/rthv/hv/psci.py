"""PSCI, the Arm Power State Coordination Interface (DEN 0022), version 0.2, for one-vCPU VMs.

A guest calls it with ``hvc #0`` or ``smc #0``: function ID in r0 (the SMC32 and SMC64 ranges
0x84000000.. and 0xC4000000..), arguments in r1-r3, result in r0. rthv implements what a VM with
one vCPU needs: ``PSCI_VERSION`` (0.2), ``SYSTEM_OFF`` (the VM stops for good, with a report
line) and ``SYSTEM_RESET`` (the VM starts again from its images). Every other PSCI function
returns ``NOT_SUPPORTED``. See docs/hypercalls.md.
"""

from __future__ import annotations

import enum
from typing import Final

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


class PsciAction(enum.Enum):
    """What the hypervisor does after a PSCI call: return to the guest, or act on the VM."""

    RETURN = "return"
    POWER_OFF = "power off"
    RESET = "reset"


def psci_call(function: int) -> tuple[PsciAction, int]:
    """The action for PSCI ``function`` and the status for r0 (when the guest gets it back)."""
    if function == PsciFunction.VERSION:
        return PsciAction.RETURN, PSCI_VERSION_0_2
    if function == PsciFunction.SYSTEM_OFF:
        return PsciAction.POWER_OFF, 0
    if function == PsciFunction.SYSTEM_RESET:
        return PsciAction.RESET, 0
    return PsciAction.RETURN, PsciStatus.NOT_SUPPORTED
