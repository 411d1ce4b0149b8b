"""EDF policy: periodic releases, earliest deadline first, budgets, precise deadline misses."""

from __future__ import annotations

import pytest

from rthv.hv.scheduling import DeadlineMiss, EdfPolicy, PolicyParameterError
from rthv.hv.scheduling.periodic import PeriodicParams
from sched_harness import MS, US, Sim


def test_earliest_deadline_runs_and_preempts_only_when_earlier() -> None:
    """b (3 ms) waits at 3 ms behind a's deadline 5 but preempts a at 6 ms (9 < 10)."""
    sim = Sim(EdfPolicy())
    sim.add("a", {"period_us": 5000}, work=2_500 * US)
    sim.add("b", {"period_us": 3000}, work=1 * MS)
    sim.periodic("a", 5 * MS, 2_500 * US, 15 * MS)
    sim.periodic("b", 3 * MS, 1 * MS, 15 * MS)
    assert sim.run(14 * MS) == [
        (0, "b"),
        (1 * MS, "a"),
        (3_500 * US, "b"),
        (4_500 * US, None),
        (5 * MS, "a"),
        (6 * MS, "b"),
        (7 * MS, "a"),
        (8_500 * US, None),
        (9 * MS, "b"),
        (10 * MS, "a"),
        (12_500 * US, "b"),
        (13_500 * US, None),
    ]
    stats = sim.sched.stats()
    assert stats.misses == ()
    assert (stats.vms["a"].jobs_released, stats.vms["a"].jobs_completed) == (3, 3)
    assert (stats.vms["b"].jobs_released, stats.vms["b"].jobs_completed) == (5, 5)
    assert stats.vms["a"].current_deadline == 15 * MS


def test_a_job_still_pending_at_its_deadline_is_a_miss() -> None:
    """a never waits: every deadline of a is missed; b starves once (deadline 10 ms)."""
    sim = Sim(EdfPolicy())
    sim.add("a", {"period_us": 2000}, work=None)
    sim.add("b", {"period_us": 5000}, work=500 * US)
    sim.wake("b", 5 * MS, 500 * US)
    reported: list[DeadlineMiss] = []
    sim.sched.on_deadline_miss(reported.append)
    assert sim.run(15 * MS) == [
        (0, "a"),
        (4 * MS, "b"),
        (4_500 * US, "a"),
        (14 * MS, "b"),
        (14_500 * US, "a"),
    ]
    misses = sim.sched.stats().misses
    assert [(m.vm, m.deadline, m.detected_at) for m in misses] == [
        ("a", 2 * MS, 2 * MS),
        ("a", 4 * MS, 4 * MS),
        ("a", 6 * MS, 6 * MS),
        ("a", 8 * MS, 8 * MS),
        ("b", 10 * MS, 10 * MS),
        ("a", 10 * MS, 10 * MS),
        ("a", 12 * MS, 12 * MS),
        ("a", 14 * MS, 14 * MS),
    ]
    assert misses[4].detail == (
        "job released at cycle 5000000 still unfinished at its deadline (ran 0 cycles)"
    )
    assert list(misses) == reported
    assert sim.sched.stats().vms["a"].deadline_misses == 7


def test_budget_throttles_until_the_next_release() -> None:
    """a may use 1 ms per 4 ms: throttled at 1, 5, 9 ms though runnable; b fills the gaps."""
    sim = Sim(EdfPolicy())
    sim.add("a", {"period_us": 4000, "budget_us": 1000}, work=None)
    sim.add("b", {"period_us": 8000}, work=None)
    assert sim.run(10 * MS) == [
        (0, "a"),
        (1 * MS, "b"),
        (4 * MS, "a"),
        (5 * MS, "b"),
        (8 * MS, "a"),
        (9 * MS, "b"),
    ]
    stats = sim.sched.stats()
    assert (stats.vms["a"].cycles_run, stats.vms["b"].cycles_run) == (3 * MS, 7 * MS)
    assert (stats.vms["a"].jobs_completed, stats.vms["a"].deadline_misses) == (3, 0)
    assert [(m.vm, m.deadline) for m in stats.misses] == [("b", 8 * MS)]


def test_a_wakeup_after_the_job_finished_is_no_new_job() -> None:
    """b finishes (WFI) at 1 ms, wakes at 2 ms for work past its deadline: no miss at 4 ms."""
    sim = Sim(EdfPolicy())
    sim.add("a", {"period_us": 2000}, work=0)
    sim.add("b", {"period_us": 4000}, work=1 * MS)
    sim.wake("b", 2 * MS, 3 * MS)
    assert sim.run(5 * MS) == [(0, "a"), (0, "b"), (1 * MS, None), (2 * MS, "b"), (5 * MS, None)]
    stats = sim.sched.stats()
    assert stats.misses == ()
    assert (stats.vms["b"].jobs_released, stats.vms["b"].jobs_completed) == (2, 2)


def test_new_period_applies_from_the_next_release() -> None:
    """change_params at 1 ms takes effect at the release at 4 ms: next deadline 4 + 2 ms."""
    sim = Sim(EdfPolicy())
    a = sim.add("a", {"period_us": 4000}, work=None)
    sim.at(1 * MS, lambda: sim.sched.change_params(a, {"period_us": 2000}))
    sim.run(5 * MS)
    assert a.params == PeriodicParams(2000, None)
    assert sim.sched.stats().vms["a"].current_deadline == 6 * MS


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "VM 'x': edf: period_us: missing (required)"),
        ({"period_us": 0}, "VM 'x': edf: period_us: must be >= 1, got 0"),
        (
            {"period_us": 1000, "budget_us": 2000},
            "VM 'x': edf: budget_us: must be <= 1000, got 2000",
        ),
        (
            {"period_us": 1000, "period": 1000},
            "VM 'x': edf: unknown parameter 'period' (did you mean \"period_us\"? "
            "accepted: budget_us, period_us)",
        ),
    ],
)
def test_bad_edf_parameters_are_refused(params: dict[str, object], message: str) -> None:
    """allocate() names the VM and the faulty parameter."""
    with pytest.raises(PolicyParameterError) as caught:
        Sim(EdfPolicy()).add("x", params)
    assert str(caught.value) == message
