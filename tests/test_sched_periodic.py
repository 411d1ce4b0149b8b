"""Periodic servers (what EDF and RTDS share): releases by timer, budgets, earliest deadline."""

from __future__ import annotations

from rthv.hv.scheduling.periodic import PeriodicServerPolicy, Server
from sched_harness import MS, US, Sim


class Servers(PeriodicServerPolicy):
    """The bare periodic-server policy (budgets optional): every period end noted."""

    name = "servers"

    def __init__(self) -> None:
        super().__init__()
        self.ends: list[tuple[str, int]] = []  # (VM, cycles it ran in the period that ended)

    def period_ended(self, server: Server, used: int) -> None:
        self.ends.append((server.vm.name, used))


def test_the_earliest_deadline_runs_and_a_depleted_server_waits_for_its_release() -> None:
    """a: 1 ms period, 200 us budget; b: 2 ms, no budget. Both always busy: a runs 200 us of
    each of its periods (earliest deadline first), b the rest."""
    policy = Servers()
    sim = Sim(policy)
    sim.add("a", {"period_us": 1000, "budget_us": 200}, work=None)
    sim.add("b", {"period_us": 2000}, work=None)
    log = sim.run(4 * MS)
    assert log[:5] == [(0, "a"), (200 * US, "b"), (1 * MS, "a"), (1200 * US, "b"), (2 * MS, "a")]
    assert [used for vm, used in policy.ends if vm == "a"] == [200 * US] * 4
    assert [used for vm, used in policy.ends if vm == "b"] == [1600 * US] * 2


def test_new_parameters_take_effect_at_the_next_release() -> None:
    """a's budget grows from 100 to 300 us at 1.5 ms: its second period still runs 100 us,
    the third 300 us."""
    policy = Servers()
    sim = Sim(policy)
    a = sim.add("a", {"period_us": 1000, "budget_us": 100}, work=None)
    sim.add("b", {"period_us": 1000}, work=None)
    sim.at(1500 * US, lambda: sim.sched.change_params(a, {"period_us": 1000, "budget_us": 300}))
    sim.run(3 * MS)
    assert [used for vm, used in policy.ends if vm == "a"] == [100 * US, 100 * US, 300 * US]
    assert (2 * MS, "a") in sim.log and (2300 * US, "b") in sim.log
