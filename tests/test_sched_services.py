"""The services a policy gets: timers that reschedule, job records, closed when retired."""

from __future__ import annotations

import pytest

from rthv.board.clock import VirtualClock
from rthv.board.events import EventQueue
from rthv.hv.scheduling.api import VmHandle
from rthv.hv.scheduling.errors import SchedulerStateError
from rthv.hv.scheduling.framework import Scheduler
from rthv.hv.scheduling.round_robin import RoundRobinPolicy
from rthv.hv.scheduling.services import PolicyServices


def _services() -> tuple[PolicyServices, Scheduler, EventQueue, VirtualClock]:
    clock, events = VirtualClock(1_000_000_000), EventQueue()
    policy = RoundRobinPolicy()
    scheduler = Scheduler(policy, clock, events)
    return PolicyServices(scheduler, policy), scheduler, events, clock


def _run_to(events: EventQueue, clock: VirtualClock, cycle: int) -> None:
    while (due := events.peek()) is not None and due <= cycle:
        clock.advance_to(due)
        events.run_due(due)
    clock.advance_to(cycle)


def test_a_timer_fires_once_at_its_cycle_and_bad_times_are_refused() -> None:
    """Due at 500: runs at 500; a time in the past or not an int is refused."""
    services, _, events, clock = _services()
    fired: list[int] = []
    handle = services.set_timer(500, lambda: fired.append(clock.now()), "tick")
    assert (handle.when, handle.name, services.timers) == (500, "tick", {handle})
    _run_to(events, clock, 1000)
    assert fired == [500] and services.timers == set()
    with pytest.raises(ValueError, match=r"'late'.*cycle 10 is in the past"):
        services.set_timer(10, lambda: None, "late")
    with pytest.raises(TypeError, match="must be an int"):
        services.set_timer(1.5, lambda: None)  # type: ignore[arg-type]


def test_closing_cancels_pending_timers_and_refuses_later_calls() -> None:
    """A retired policy's timer never fires, and its services say why they refuse."""
    services, _, events, clock = _services()
    fired: list[int] = []
    services.set_timer(100, lambda: fired.append(1))
    services.close()
    _run_to(events, clock, 200)
    assert fired == [] and not services.active
    with pytest.raises(SchedulerStateError, match="was replaced: its services are closed"):
        services.request_reschedule()


def test_jobs_are_recorded_in_the_vms_account() -> None:
    """Two releases and one completion, with the latest deadline kept."""
    services, scheduler, _, _ = _services()
    vm = VmHandle("a", 0)
    scheduler.add_vm(vm, {})
    services.release_job(vm, 1000)
    services.complete_job(vm)
    services.release_job(vm, 2000)
    account = scheduler.account(vm)
    assert (account.jobs_released, account.jobs_completed, account.current_deadline) == (2, 1, 2000)


def test_timer_events_are_the_board_events_of_the_timers_still_to_fire() -> None:
    """Each armed timer's event, as queued on the board; not once it fired or was cancelled."""
    services, _, events, clock = _services()
    first = services.set_timer(100, lambda: None, "first")
    second = services.set_timer(200, lambda: None, "second")
    third = services.set_timer(300, lambda: None, "third")
    assert {id(event) for event in services.timer_events()} == {
        id(event) for event in events.pending()
    }
    assert first.event.when == 100 and first.event in events.pending()
    services.cancel_timer(second)
    third.cancel()  # a plug-in may cancel through its handle
    assert [event.when for event in services.timer_events()] == [100]
    _run_to(events, clock, 150)
    assert services.timer_events() == []
