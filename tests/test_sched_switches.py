"""Announcing the scheduler's decisions: each change once, in order, with why the old VM left;
the operation frame refuses work after a failure and announces even when an operation raises."""

from __future__ import annotations

import pytest

from rthv.board.clock import VirtualClock
from rthv.hv.scheduling import RoundRobinPolicy, SchedulerPluginError
from rthv.hv.scheduling.api import VmHandle
from rthv.hv.scheduling.errors import SchedulerStateError
from rthv.hv.scheduling.guard import PolicyGuard
from rthv.hv.scheduling.stats import Totals
from rthv.hv.scheduling.switches import OperationFrame, SwitchAnnouncer

Heard = list[tuple[str | None, str | None, str]]


class Decisions:
    """What the scheduler decided (``current``), and an announcer that reports it."""

    def __init__(self) -> None:
        self.current: VmHandle | None = None
        self.totals = Totals()
        self.announcer = SwitchAnnouncer(lambda: self.current, self.totals)
        self.heard: Heard = []
        self.announcer.listen(
            lambda old, new, why: self.heard.append((_name(old), _name(new), why))
        )


def _name(vm: VmHandle | None) -> str | None:
    return None if vm is None else vm.name


def test_changes_are_told_once_with_the_reason_the_old_vm_left() -> None:
    d = Decisions()
    a, b = VmHandle("a", 0), VmHandle("b", 1)
    d.current = a
    d.announcer.announce()
    d.announcer.announce()  # nothing new: nothing told
    d.announcer.left(a, "wfi")
    d.current = b
    d.announcer.announce()
    d.announcer.left(b, "stopped")
    d.current = None
    d.announcer.announce()
    assert d.heard == [(None, "a", "idle"), ("a", "b", "wfi"), ("b", None, "stopped")]
    assert d.totals.switches == 3


def test_a_decision_changed_back_before_the_announcement_is_not_told() -> None:
    d = Decisions()
    a, b = VmHandle("a", 0), VmHandle("b", 1)
    d.current = a
    d.announcer.announce()
    d.announcer.left(a, "preempted")
    d.current = b  # the policy changes its mind within one operation...
    d.current = a  # ...and back: the listeners hear nothing
    d.announcer.announce()
    assert d.heard == [(None, "a", "idle")]


def test_a_listener_that_decides_again_is_followed_by_the_outer_announcement() -> None:
    """A nested announce (from inside a listener) leaves the telling to the outer loop, which
    tells the newer decision after the one it is telling."""
    d = Decisions()
    a, b = VmHandle("a", 0), VmHandle("b", 1)

    def switch_again(old: VmHandle | None, new: VmHandle | None, _why: str) -> None:
        if new is a:
            d.announcer.left(a, "preempted")
            d.current = b
            d.announcer.announce()

    d.announcer.listen(switch_again)
    d.current = a
    d.announcer.announce()
    assert d.heard == [(None, "a", "idle"), ("a", "b", "preempted")]


def test_the_frame_announces_after_an_operation_even_when_it_raises() -> None:
    announced: list[str] = []
    guard = PolicyGuard(
        RoundRobinPolicy(), None, VirtualClock(1_000_000_000), [], lambda: None, lambda _p: None
    )
    frame = OperationFrame(guard, lambda: announced.append("told"))
    with frame:
        pass
    with pytest.raises(RuntimeError), frame:
        raise RuntimeError("inside")
    assert announced == ["told", "told"]


def test_the_frame_refuses_operations_once_the_guard_has_stopped_the_scheduler() -> None:
    guard = PolicyGuard(
        RoundRobinPolicy(), None, VirtualClock(1_000_000_000), [], lambda: None, lambda _p: None
    )
    with pytest.raises(SchedulerPluginError, match="schedule"):
        guard.guarded("schedule()", lambda: 1 / 0)
    assert guard.broken is not None
    frame = OperationFrame(guard, lambda: None)
    with pytest.raises(SchedulerStateError, match="stopped after a failure"), frame:
        pass
