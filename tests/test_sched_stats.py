"""Scheduler accounting: CPU time counts only between switch-in and switch-out."""

from __future__ import annotations

from rthv.hv.scheduling.api import VmHandle
from rthv.hv.scheduling.stats import Totals, VmAccount, snapshot


def test_an_account_counts_the_slices_a_vm_held_the_cpu() -> None:
    """In at 100, out at 250, in at 400: 150 done, plus the running slice when asked at 450."""
    account = VmAccount()
    account.switch_in(100)
    account.switch_out(250)
    account.switch_out(300)  # not holding the CPU: nothing to add
    account.switch_in(400)
    assert (account.consumed(450), account.cycles, account.dispatches) == (200, 150, 2)


def test_idle_time_includes_the_stretch_still_going_on() -> None:
    """1000 idle cycles done and idle again since 5000: 1500 at 5500."""
    totals = Totals(idle_cycles=1000, idle_since=5000)
    assert totals.idle(5500) == 1500


def test_a_snapshot_freezes_every_counter_at_one_cycle() -> None:
    """Per-VM figures by name, the running slice included; scheduler-wide totals."""
    vm = VmHandle("a", 0)
    account = VmAccount(cycles=70, preemptions=2, waits=3, jobs_released=4)
    account.switch_in(100)
    stats = snapshot(130, "'edf'", {vm: account}, Totals(switches=5, preemptions=2))
    a = stats.vms["a"]
    assert (a.cycles_run, a.dispatches, a.preemptions, a.waits, a.jobs_released) == (
        100,
        1,
        2,
        3,
        4,
    )
    assert (stats.switches, stats.preemptions, stats.idle_cycles, stats.policy) == (
        5,
        2,
        0,
        "'edf'",
    )
