"""A VM as the scheduler sees it (``VmHandle``) and its scheduling state (``VmState``).

Part of the policy API (``rthv.hv.scheduling.api`` offers both); a module of its own because
it is on the trap path: the framework reads and sets a VM's state at every trap that reaches
the scheduler, and this module is compiled with the rest of that path (compiled/modules.txt).
"""

from __future__ import annotations

import enum


class VmState(enum.Enum):
    """Scheduling state of a VM, owned by the framework."""

    RUNNING = "running"
    READY = "ready"
    WAITING = "waiting"
    STOPPED = "stopped"

    @property
    def runnable(self) -> bool:
        """True for RUNNING and READY: the VM wants the CPU."""
        return self in (VmState.RUNNING, VmState.READY)


class VmHandle:
    """A VM as the scheduler sees it: name, index, framework-owned state, allocated params."""

    __slots__ = ("_state", "index", "name", "params")

    def __init__(self, name: str, index: int) -> None:
        self.name = name
        self.index = index
        self.params: object = None
        self._state = VmState.WAITING

    @property
    def state(self) -> VmState:
        """Current state; only the framework changes it."""
        return self._state

    def set_state(self, state: VmState) -> None:
        """Move the VM to ``state``: for the framework only (policies read ``state``)."""
        self._state = state

    @property
    def runnable(self) -> bool:
        """True when the VM is RUNNING or READY."""
        state = self._state  # (``VmState.runnable`` written out: asked at every decision)
        return state is VmState.RUNNING or state is VmState.READY

    def __repr__(self) -> str:
        return f"VmHandle({self.name!r}, index={self.index}, {self._state.name})"
