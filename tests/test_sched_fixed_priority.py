"""Fixed-priority policy: lower number wins, immediate preemption, FIFO among equals."""

from __future__ import annotations

import pytest

from rthv.hv.scheduling import FixedPriorityPolicy, PolicyParameterError
from rthv.hv.scheduling.fixed_priority import FixedPriorityParams
from sched_harness import MS, US, Sim


def test_higher_priority_wakeup_preempts_at_once() -> None:
    """A priority-0 interrupt preempts the priority-2 VM at its exact cycle; mid waits its turn."""
    sim = Sim(FixedPriorityPolicy())
    sim.add("high", {"priority": 0}, work=100 * US)
    sim.add("mid", {"priority": 1}, work=200 * US)
    low = sim.add("low", {"priority": 2}, work=5 * MS)
    sim.wake("high", 2 * MS, 300 * US)
    sim.wake("mid", 2_100 * US, 500 * US)
    assert sim.run(7 * MS) == [
        (0, "high"),
        (100 * US, "mid"),
        (300 * US, "low"),
        (2 * MS, "high"),
        (2_300 * US, "mid"),
        (2_800 * US, "low"),
        (6_100 * US, None),
    ]
    stats = sim.sched.stats()
    assert stats.vms[low.name].cycles_run == 5 * MS
    assert stats.vms["low"].preemptions == 1
    assert stats.vms["high"].dispatches == 2
    assert (stats.switches, stats.preemptions, stats.idle_cycles) == (7, 1, 900 * US)


def test_equal_priorities_run_first_come_first_served() -> None:
    """Equals never preempt each other; a VM woken again queues behind the ones already ready."""
    sim = Sim(FixedPriorityPolicy())
    for name in ("a", "b", "c"):
        sim.add(name, {"priority": 1}, work=1 * MS)
    sim.wake("a", 1_500 * US, 100 * US)
    assert sim.run(4 * MS) == [
        (0, "a"),
        (1 * MS, "b"),
        (2 * MS, "c"),
        (3 * MS, "a"),
        (3_100 * US, None),
    ]


def test_preempted_vm_resumes_before_its_equals() -> None:
    """After a preemption the interrupted VM keeps the head of its level, ahead of b."""
    sim = Sim(FixedPriorityPolicy())
    sim.add("h", {"priority": 0}, work=50 * US)
    sim.add("a", {"priority": 1}, work=1 * MS)
    sim.add("b", {"priority": 1}, work=1 * MS)
    sim.wake("h", 500 * US, 100 * US)
    assert sim.run(3 * MS) == [
        (0, "h"),
        (50 * US, "a"),
        (500 * US, "h"),
        (600 * US, "a"),
        (1_150 * US, "b"),
        (2_150 * US, None),
    ]


def test_lowering_the_running_vms_priority_lets_another_run() -> None:
    """change_params at 500 us demotes a below b: b runs at once, a resumes after it."""
    sim = Sim(FixedPriorityPolicy())
    a = sim.add("a", {"priority": 0}, work=2 * MS)
    sim.add("b", {"priority": 1}, work=1 * MS)
    sim.at(500 * US, lambda: sim.sched.change_params(a, {"priority": 2}))
    assert sim.run(4 * MS) == [(0, "a"), (500 * US, "b"), (1_500 * US, "a"), (3 * MS, None)]
    assert a.params == FixedPriorityParams(priority=2)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "VM 'x': fixed-priority: priority: missing (required)"),
        ({"priority": "high"}, "VM 'x': fixed-priority: priority: expected an integer, got 'high'"),
        ({"priority": -1}, "VM 'x': fixed-priority: priority: must be >= 0, got -1"),
        ({"priority": True}, "VM 'x': fixed-priority: priority: expected an integer, got True"),
        (
            {"priority": 1, "prio": 2},
            "VM 'x': fixed-priority: unknown parameter 'prio' (did you mean \"priority\"? "
            "accepted: priority)",
        ),
    ],
)
def test_bad_priority_is_refused_naming_the_parameter(
    params: dict[str, object], message: str
) -> None:
    """allocate() rejects bad parameters with a message naming the VM and the parameter."""
    sim = Sim(FixedPriorityPolicy())
    with pytest.raises(PolicyParameterError) as caught:
        sim.add("x", params)
    assert str(caught.value) == message
    assert caught.value.parameter in ("priority", "prio")
    assert sim.sched.vms == ()
