"""Announcing the scheduler's decisions: every change of the running VM, once and in order.

A seam operation (``Scheduler.vm_waits`` and the rest) may change its mind several times before
it returns: a policy can reschedule from inside a callback. The listeners (the hypervisor's world
switch) hear only what the operation ended with, each change once, with why the old VM left the
CPU. ``OperationFrame`` brackets every operation: it refuses to start one once the policy guard has
stopped the scheduler, and announces when the operation ends, by an exception too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn

from rthv.hv.scheduling.errors import SchedulerStateError
from rthv.hv.scheduling.guard import PolicyGuard
from rthv.hv.scheduling.stats import Totals
from rthv.hv.scheduling.vm_handle import VmHandle

SwitchListener = Callable[[VmHandle | None, VmHandle | None, str], None]  # old, new, why old left


class SwitchAnnouncer:
    """Tells each listener ``(old, new, reason)`` for every change of the decided VM."""

    __slots__ = ("_announced", "_announcing", "_current", "_left_because", "_listeners", "_totals")

    def __init__(self, current: Callable[[], VmHandle | None], totals: Totals) -> None:
        self._current = current
        self._totals = totals
        self._announced: VmHandle | None = None
        self._announcing = False
        self._left_because: dict[VmHandle, str] = {}  # why each VM last left the CPU
        self._listeners: tuple[SwitchListener, ...] = ()  # (a tuple: announce loops over a
        # snapshot of the listeners without copying them each time)

    def listen(self, listener: SwitchListener) -> None:
        """Call ``listener(old, new, reason)`` at every announced change (None = idle)."""
        self._listeners = (*self._listeners, listener)

    def left(self, vm: VmHandle, reason: str) -> None:
        """``vm`` left the CPU: "wfi", "preempted" or "stopped"."""
        self._left_because[vm] = reason

    def announce(self) -> None:
        """Tell the listeners every change not told yet (a nested call leaves it to the outer)."""
        if self._announcing:
            return
        self._announcing = True
        try:
            while self._announced is not (new := self._current()):
                old = self._announced
                self._announced = new
                reason = "idle" if old is None else self._left_because[old]
                self._totals.switches += 1
                for listener in self._listeners:
                    listener(old, new, reason)
        finally:
            self._announcing = False


class OperationFrame:
    """The frame of every seam operation (``with frame:``). A plain class, as it frames every
    trap that reaches the scheduler (a generator-based context manager costs several times more)."""

    __slots__ = ("_announce", "_guard")

    def __init__(self, guard: PolicyGuard, announce: Callable[[], None]) -> None:
        self._guard = guard
        self._announce = announce

    def __enter__(self) -> None:
        if self._guard.broken is not None:
            self.refuse()

    def refuse(self) -> NoReturn:
        """Refuse the operation: the policy guard has stopped the scheduler."""
        broken = self._guard.broken
        error = SchedulerStateError(f"the scheduler stopped after a failure: {broken}")
        error.__cause__ = broken  # (``from broken``: compiled code ignores ``from``)
        raise error

    def __exit__(self, *_exception: object) -> None:
        self._announce()
