"""Round-robin policy: FIFO queue, quantum of CPU time via the budget timer, WFI ends a turn."""

from __future__ import annotations

import pytest

from rthv.hv.scheduling import PolicyParameterError, RoundRobinPolicy
from rthv.hv.scheduling.round_robin import RoundRobinParams
from sched_harness import MS, US, Sim


def test_quantum_expiry_and_wfi_rotate_the_queue() -> None:
    """1 ms quanta: a and b are cut at quantum ends, c waits early, a gets a fresh quantum."""
    sim = Sim(RoundRobinPolicy(quantum_us=1000))
    sim.add("a", work=2_500 * US)
    sim.add("b", work=1_200 * US)
    sim.add("c", work=300 * US)
    assert sim.run(5 * MS) == [
        (0, "a"),
        (1 * MS, "b"),
        (2 * MS, "c"),
        (2_300 * US, "a"),
        (3_300 * US, "b"),
        (3_500 * US, "a"),
        (4 * MS, None),
    ]
    stats = sim.sched.stats()
    assert [stats.vms[n].preemptions for n in "abc"] == [2, 1, 0]
    assert [stats.vms[n].waits for n in "abc"] == [1, 1, 1]


def test_default_quantum_is_one_millisecond_and_per_vm_quantum_overrides_it() -> None:
    """a has its own 500 us quantum, b the policy's default 1000 us."""
    sim = Sim(RoundRobinPolicy())
    a = sim.add("a", {"quantum_us": 500}, work=800 * US)
    b = sim.add("b", work=900 * US)
    assert sim.run(3 * MS) == [(0, "a"), (500 * US, "b"), (1_400 * US, "a"), (1_700 * US, None)]
    assert (a.params, b.params) == (RoundRobinParams(500), RoundRobinParams(1000))


def test_a_waking_vm_never_preempts_and_a_lone_vm_is_never_switched() -> None:
    """b boots and waits at once; its interrupt at 2.5 ms waits for a's quantum end at 3 ms."""
    sim = Sim(RoundRobinPolicy(quantum_us=1000))
    sim.add("a", work=None)
    sim.add("b", work=0)
    sim.wake("b", 2_500 * US, 200 * US)
    assert sim.run(6 * MS) == [
        (0, "a"),
        (1 * MS, "b"),
        (1 * MS, "a"),
        (3 * MS, "b"),
        (3_200 * US, "a"),
    ]
    assert sim.sched.stats().vms["a"].dispatches == 3


def test_each_turn_starts_a_fresh_quantum_of_the_vms_own_cpu_time() -> None:
    """b's quantum runs 1 ms from its own dispatch; a, woken meanwhile, then gets a full one."""
    sim = Sim(RoundRobinPolicy(quantum_us=1000))
    sim.add("a", work=400 * US)
    sim.add("b", work=None)
    sim.wake("a", 600 * US, 900 * US)
    assert sim.run(4 * MS) == [
        (0, "a"),
        (400 * US, "b"),
        (1_400 * US, "a"),
        (2_300 * US, "b"),
    ]


@pytest.mark.parametrize("quantum", [0, -5, "1ms", 1.5])
def test_bad_policy_quantum_is_refused(quantum: object) -> None:
    """The policy-level quantum must be a positive integer of microseconds."""
    with pytest.raises(PolicyParameterError, match="round-robin: quantum_us: "):
        RoundRobinPolicy(quantum_us=quantum)  # type: ignore[arg-type]
