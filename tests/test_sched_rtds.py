"""RTDS policy: deferrable servers (budget per period), EDF by server deadline, replenishment."""

from __future__ import annotations

import pytest

from rthv.hv.scheduling import PolicyParameterError, RtdsPolicy
from sched_harness import MS, US, Sim


def test_budgets_share_the_cpu_within_each_period() -> None:
    """b gets 0.5 ms per 2 ms, a 1.2 ms per 5 ms; out of budget both wait: the CPU idles."""
    sim = Sim(RtdsPolicy())
    sim.add("a", {"budget_us": 1200, "period_us": 5000}, work=None)
    sim.add("b", {"budget_us": 500, "period_us": 2000}, work=None)
    assert sim.run(9_500 * US) == [
        (0, "b"),
        (500 * US, "a"),
        (1_700 * US, None),
        (2 * MS, "b"),
        (2_500 * US, None),
        (4 * MS, "b"),
        (4_500 * US, None),
        (5 * MS, "a"),
        (6 * MS, "b"),
        (6_500 * US, "a"),
        (6_700 * US, None),
        (8 * MS, "b"),
        (8_500 * US, None),
    ]
    stats = sim.sched.stats()
    assert (stats.vms["a"].cycles_run, stats.vms["b"].cycles_run) == (2_400 * US, 2_500 * US)
    assert stats.idle_cycles == 4_600 * US
    assert stats.misses == ()
    assert (stats.vms["a"].jobs_released, stats.vms["b"].jobs_released) == (2, 5)


def test_an_idle_server_keeps_its_budget_until_the_period_ends() -> None:
    """a's 2 ms budget survives its waits, runs out at 5.5 ms and again at 10 ms (refilled at 8)."""
    sim = Sim(RtdsPolicy())
    sim.add("a", {"budget_us": 2000, "period_us": 8000}, work=500 * US)
    sim.add("b", {"budget_us": 5000, "period_us": 10000}, work=None)
    sim.wake("a", 3 * MS, 1 * MS)
    sim.wake("a", 5 * MS, 3 * MS)
    assert sim.run(10_500 * US) == [
        (0, "a"),
        (500 * US, "b"),
        (3 * MS, "a"),
        (4 * MS, "b"),
        (5 * MS, "a"),
        (5_500 * US, "b"),
        (7 * MS, None),
        (8 * MS, "a"),
        (10 * MS, "b"),
    ]
    assert sim.sched.stats().misses == ()


def test_a_runnable_server_left_with_budget_at_its_period_end_misses() -> None:
    """Two servers of 3 ms per 4 ms cannot both fit: b misses with 2 ms of budget unused."""
    sim = Sim(RtdsPolicy())
    sim.add("a", {"budget_us": 3000, "period_us": 4000}, work=None)
    sim.add("b", {"budget_us": 3000, "period_us": 4000}, work=None)
    assert sim.run(7_500 * US) == [(0, "a"), (3 * MS, "b"), (4 * MS, "a"), (7 * MS, "b")]
    misses = sim.sched.stats().misses
    assert [(m.vm, m.deadline) for m in misses] == [("b", 4 * MS)]
    assert misses[0].detail == (
        "server period from cycle 0 ended with 2000000 of 3000000 budget cycles unused "
        "while the VM was runnable"
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"period_us": 1000}, "VM 'x': rtds: budget_us: missing (required)"),
        ({"budget_us": 10}, "VM 'x': rtds: period_us: missing (required)"),
        (
            {"budget_us": 2000, "period_us": 1000},
            "VM 'x': rtds: budget_us: must be <= 1000, got 2000",
        ),
    ],
)
def test_bad_rtds_parameters_are_refused(params: dict[str, object], message: str) -> None:
    """Both parameters are required and the budget cannot exceed the period."""
    with pytest.raises(PolicyParameterError) as caught:
        Sim(RtdsPolicy()).add("x", params)
    assert str(caught.value) == message
