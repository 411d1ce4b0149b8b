"""What a run of the board reports: why it stopped, where time stands, the IRQs taken."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class StopCause(enum.Enum):
    """Why ``Machine.run`` returned."""

    UNTIL = "until"
    IDLE = "idle"
    HALTED = "halted"
    LOCKUP = "lockup"
    INTERRUPTED = "interrupted"
    WATCHED = "watched"  # a core reached a watched instruction (``CpuCore.watch_code``)


@dataclass
class RunResult:
    """What a run did: how it ended and where virtual time stands."""

    cause: StopCause
    cycles: int
    instructions: int
    idle_cycles: int


@dataclass
class InterruptRecord:
    """An IRQ exception taken by a guest: when, after how many instructions, at which PC, and
    by which execution context (the core's name: a VM's name under the hypervisor)."""

    cycle: int
    instructions: int
    pc: int
    core: str = ""
