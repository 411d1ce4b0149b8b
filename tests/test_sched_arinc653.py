"""ARINC 653 policy: a repeating major frame of fixed windows; idle outside runnable owners."""

from __future__ import annotations

import pytest

from rthv.hv.scheduling import Arinc653Policy, PolicyParameterError, SchedulerPluginError
from rthv.hv.scheduling.arinc653 import Arinc653Params
from sched_harness import MS, US, Sim


def test_windows_repeat_every_major_frame_with_idle_slack() -> None:
    """Frame a 3 ms, b 2 ms, a 1 ms in an 8 ms major frame: the last 2 ms idle."""
    policy = Arinc653Policy(frame=[["a", 3000], ["b", 2000], ["a", 1000]], major_frame_us=8000)
    sim = Sim(policy)
    a = sim.add("a", work=None)
    sim.add("b", work=None)
    assert sim.run(15 * MS) == [
        (0, "a"),
        (3 * MS, "b"),
        (5 * MS, "a"),
        (6 * MS, None),
        (8 * MS, "a"),
        (11 * MS, "b"),
        (13 * MS, "a"),
        (14 * MS, None),
    ]
    stats = sim.sched.stats()
    assert (stats.vms["a"].cycles_run, stats.vms["b"].cycles_run) == (8 * MS, 4 * MS)
    assert stats.idle_cycles == 3 * MS
    assert a.params == Arinc653Params(((0, 3000), (5000, 1000)))


def test_a_waiting_owner_leaves_its_window_idle() -> None:
    """a waits at 1 ms: the rest of its window idles although b is runnable; a wakes at 6 ms."""
    sim = Sim(
        Arinc653Policy(frame=[{"vm": "a", "duration_us": 3000}, {"vm": "b", "duration_us": 2000}])
    )
    sim.add("a", work=1 * MS)
    sim.add("b", work=None)
    sim.wake("a", 6 * MS, 500 * US)
    assert sim.run(9 * MS) == [
        (0, "a"),
        (1 * MS, None),
        (3 * MS, "b"),
        (5 * MS, None),
        (6 * MS, "a"),
        (6_500 * US, None),
        (8 * MS, "b"),
    ]


def test_explicit_idle_window_and_a_stopped_vm_leave_the_cpu_idle() -> None:
    """An empty name is an idle window; a stopped VM's windows turn idle too."""
    sim = Sim(Arinc653Policy(frame=[["a", 1000], ["", 500], ["b", 1000]]))
    sim.add("a", work=None)
    b = sim.add("b", work=None)
    sim.at(2 * MS, lambda: sim.sched.vm_stopped(b))
    assert sim.run(5 * MS) == [
        (0, "a"),
        (1 * MS, None),
        (1_500 * US, "b"),
        (2 * MS, None),
        (2_500 * US, "a"),
        (3_500 * US, None),
        (5 * MS, "a"),
    ]


@pytest.mark.parametrize(
    ("frame", "major", "message"),
    [
        ([], None, "arinc653: frame: expected a non-empty list of [vm, duration_us] windows"),
        ([["a", 0]], None, "arinc653: frame[0]: must be >= 1, got 0"),
        ([["a"]], None, "arinc653: frame[0]: expected [vm, duration_us], got ['a']"),
        ([[1, 10]], None, "arinc653: frame[0]: VM name must be a string, got 1"),
        ([{"vm": "a"}], None, "arinc653: frame[0]: duration_us: missing (required)"),
        ([["a", 10]], 5, "arinc653: major_frame_us: must be >= 10, got 5"),
    ],
)
def test_bad_frames_are_refused(frame: list[object], major: int | None, message: str) -> None:
    """The frame is checked when the policy is built."""
    with pytest.raises(PolicyParameterError) as caught:
        Arinc653Policy(frame=frame, major_frame_us=major)
    assert str(caught.value) == message


def test_a_vm_without_a_window_and_a_window_without_a_vm_are_errors() -> None:
    """No window for c: refused at add_vm; a window naming ghost: fails at start."""
    sim = Sim(Arinc653Policy(frame=[["a", 1000], ["ghost", 1000]]))
    sim.add("a", work=None)
    with pytest.raises(
        PolicyParameterError, match=r"^VM 'c': arinc653: frame: no window for VM 'c'"
    ):
        sim.add("c")
    with pytest.raises(SchedulerPluginError) as caught:
        sim.run(1 * MS)
    assert str(caught.value) == (
        "scheduler policy 'arinc653' failed in schedule(): raised PolicyParameterError: "
        "arinc653: frame[1] names VM 'ghost', which does not exist"
    )
