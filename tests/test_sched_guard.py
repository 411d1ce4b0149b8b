"""The policy guard: a faulting callback fails the policy, hands over or stops the scheduler."""

from __future__ import annotations

import pytest

from rthv.board.clock import VirtualClock
from rthv.hv.scheduling import EdfPolicy, RoundRobinPolicy, SchedulerPluginError
from rthv.hv.scheduling.api import SchedulerPolicy
from rthv.hv.scheduling.guard import MAX_TIMER_CALLBACKS_PER_INSTANT, PolicyGuard, PolicyReplaced
from rthv.hv.scheduling.stats import PolicyFailure


def _guard(
    fallback: SchedulerPolicy | None, log: list[str]
) -> tuple[PolicyGuard, list[PolicyFailure]]:
    failures: list[PolicyFailure] = []
    guard = PolicyGuard(
        RoundRobinPolicy(),
        fallback,
        VirtualClock(1_000_000_000),
        failures,
        lambda: log.append("retire"),
        lambda policy: log.append(f"hand over to {policy.name}"),
    )
    return guard, failures


def _explode() -> int:
    raise RuntimeError("boom")


def test_a_raising_callback_hands_over_to_the_fallback() -> None:
    """The failure is recorded, the policy retired, the fallback active; the call unwinds."""
    log: list[str] = []
    guard, failures = _guard(EdfPolicy(), log)
    assert guard.guarded("schedule()", lambda: 7) == 7
    with pytest.raises(PolicyReplaced):
        guard.guarded("schedule()", _explode)
    assert log == ["retire", "hand over to edf"]
    assert guard.on_fallback and guard.policy.name == "edf"
    (failure,) = failures
    assert failure.message == (
        "scheduler policy 'round-robin' failed in schedule(): raised RuntimeError: boom"
    )


def test_without_a_fallback_the_scheduler_stops() -> None:
    """The failure becomes the guard's ``broken`` error, raised to the caller."""
    log: list[str] = []
    guard, _ = _guard(None, log)
    with pytest.raises(SchedulerPluginError, match="failed in enque"):
        guard.notify("enque('a')", _explode)
    assert guard.broken is not None and log == ["retire"]


def test_a_timer_storm_is_named_once_the_limit_is_passed() -> None:
    """Up to the limit of callbacks at one cycle is fine; one more is a storm."""
    guard, _ = _guard(None, [])
    assert all(guard.timer_storm() is None for _ in range(MAX_TIMER_CALLBACKS_PER_INSTANT))
    assert guard.timer_storm() == (
        f"more than {MAX_TIMER_CALLBACKS_PER_INSTANT} timer callbacks at cycle 0 (self re-arming?)"
    )


def test_the_fallback_must_be_another_object() -> None:
    """One policy object cannot guard itself."""
    policy = RoundRobinPolicy()
    with pytest.raises(ValueError, match="different object"):
        PolicyGuard(policy, policy, VirtualClock(1), [], lambda: None, lambda p: None)
