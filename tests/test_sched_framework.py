"""The scheduling framework: the seam, callback order, timers, accounting, faults and fallback."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from rthv.board.clock import VirtualClock
from rthv.board.events import EventQueue
from rthv.hv.scheduling import (
    FixedPriorityPolicy,
    PolicyFailure,
    PolicyParameterError,
    RoundRobinPolicy,
    Scheduler,
    SchedulerPluginError,
    SchedulerPolicy,
    SchedulerServices,
    SchedulerStateError,
    VmHandle,
    VmState,
)
from rthv.hv.scheduling.fixed_priority import FixedPriorityParams
from sched_harness import MS, US, Sim


class Spy(SchedulerPolicy):
    """Most recently woken first; records every callback it receives."""

    name = "spy"

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.queue: list[VmHandle] = []
        self.services: SchedulerServices | None = None

    def init(self, services: SchedulerServices) -> None:
        self.calls.append("init")
        self.services = services

    def allocate(self, vm: VmHandle, params: Mapping[str, object]) -> object:
        self.calls.append(f"allocate {vm.name} {dict(params)}")
        return dict(params)

    def enque(self, vm: VmHandle) -> None:
        self.calls.append(f"enque {vm.name} {vm.state.name}")
        self.queue.insert(0, vm)

    def yield_(self, vm: VmHandle) -> None:
        self.calls.append(f"yield_ {vm.name} {vm.state.name}")
        self.queue.remove(vm)

    def block(self, vm: VmHandle) -> None:
        self.calls.append(f"block {vm.name} {vm.state.name}")

    def remove(self, vm: VmHandle) -> None:
        self.calls.append(f"remove {vm.name} {vm.state.name}")
        if vm in self.queue:
            self.queue.remove(vm)

    def schedule(self) -> VmHandle | None:
        choice = self.queue[0] if self.queue else None
        self.calls.append(f"schedule -> {choice.name if choice else None}")
        return choice

    def svc(self) -> SchedulerServices:
        assert self.services is not None
        return self.services


class Board:
    """A scheduler on a real clock and event queue, stepped by hand; logs (cycle, old, new)."""

    def __init__(self, policy: SchedulerPolicy, fallback: SchedulerPolicy | None = None) -> None:
        self.clock = VirtualClock(1_000_000_000)
        self.events = EventQueue()
        self.sched = Scheduler(policy, self.clock, self.events, fallback=fallback)
        self.log: list[tuple[int, str | None, str | None]] = []
        self.reasons: list[str] = []  # why the old VM left, as the scheduler passed it
        self.sched.on_switch(self._switched)

    def _switched(self, old: VmHandle | None, new: VmHandle | None, reason: str) -> None:
        self.log.append((self.clock.now(), old.name if old else None, new.name if new else None))
        self.reasons.append(reason)

    def vms(self, *names: str) -> list[VmHandle]:
        """Add one VM per name, without parameters."""
        handles = [VmHandle(name, i) for i, name in enumerate(names)]
        for vm in handles:
            self.sched.add_vm(vm, {})
        return handles

    def run_to(self, cycles: int) -> None:
        """Idle to ``cycles``, dispatching every event at its own exact time."""
        while (due := self.events.peek()) is not None and due <= cycles:
            self.clock.advance_to(due)
            self.events.run_due(due)
        self.clock.advance_to(cycles)


def test_each_seam_call_drives_the_callbacks_in_the_papers_order() -> None:
    """init, allocate, enque, schedule; WFI -> yield_; wake -> enque + block; stop -> remove."""
    spy = Spy()
    board = Board(spy)
    a = VmHandle("a", 0)
    b = VmHandle("b", 1)
    board.sched.add_vm(a, {"w": 1})
    board.sched.add_vm(b)
    board.sched.start()
    board.run_to(1000)
    board.sched.vm_waits(b)
    board.run_to(1500)
    board.sched.vm_runnable(b)
    board.run_to(1600)
    board.sched.vm_stopped(b)
    board.sched.vm_runnable(a)  # already running: nothing happens
    assert spy.calls == [
        "init",
        "allocate a {'w': 1}",
        "allocate b {}",
        "enque a READY",
        "enque b READY",
        "schedule -> b",
        "yield_ b WAITING",
        "schedule -> a",
        "enque b READY",
        "schedule -> b",
        "block a READY",
        "remove b STOPPED",
        "schedule -> a",
    ]
    assert board.log == [(0, None, "b"), (1000, "b", "a"), (1500, "a", "b"), (1600, "b", "a")]
    assert board.reasons == ["idle", "wfi", "preempted", "stopped"]  # decided, not derived
    assert (a.state, b.state, board.sched.current) == (VmState.RUNNING, VmState.STOPPED, a)
    assert a.params == {"w": 1}
    board.run_to(2000)
    stats = board.sched.stats()
    assert (stats.vms["a"].cycles_run, stats.vms["b"].cycles_run) == (900, 1100)
    assert (stats.vms["a"].dispatches, stats.vms["a"].preemptions, stats.vms["b"].waits) == (
        2,
        1,
        1,
    )
    assert (stats.switches, stats.preemptions, stats.idle_cycles, stats.policy) == (
        4,
        1,
        0,
        "'spy'",
    )


def test_budget_timer_counts_only_while_its_vm_runs() -> None:
    """300 cycles of a's CPU time: set at 0 while b runs, paused by a preemption, fires at 1700."""
    spy = Spy()
    board = Board(spy)
    a, b = board.vms("a", "b")
    board.sched.start()
    fired: list[tuple[int, int]] = []
    spy.svc().set_budget_timer(
        a, 300, lambda: fired.append((board.clock.now(), spy.svc().consumed(a)))
    )
    board.run_to(1000)
    board.sched.vm_waits(b)
    board.run_to(1100)
    board.sched.vm_runnable(b)
    board.run_to(1500)
    board.sched.vm_waits(b)
    board.run_to(3000)
    assert board.log == [(0, None, "b"), (1000, "b", "a"), (1100, "a", "b"), (1500, "b", "a")]
    assert fired == [(1700, 300)]


def test_policy_timers_are_queue_events_followed_by_a_reschedule() -> None:
    """A timer at 2000 reorders the queue; the framework reschedules right after it."""
    spy = Spy()
    board = Board(spy)
    board.vms("a", "b")
    board.sched.start()
    handle = spy.svc().set_timer(2000, spy.queue.reverse, "flip")
    dropped = spy.svc().set_timer(2500, spy.queue.reverse, "dropped")
    spy.svc().cancel_timer(dropped)
    assert (handle.when, handle.name, handle.pending, dropped.pending) == (
        2000,
        "flip",
        True,
        False,
    )
    board.run_to(3000)
    assert board.log == [(0, None, "b"), (2000, "b", "a")]
    assert not handle.pending


def test_timer_events_are_the_policys_timers_and_the_running_vms_budget() -> None:
    """What the scheduler has queued on the board: its policy's timers and the budget of the
    VM that runs (a waiting VM's budget is not counting, so not queued)."""
    spy = Spy()
    board = Board(spy)
    a, b = board.vms("a", "b")
    board.sched.start()  # b runs
    timer = spy.svc().set_timer(2000, lambda: None, "later")
    spy.svc().set_budget_timer(a, 300, lambda: None)
    assert [event is timer.event for event in board.sched.timer_events()] == [True]
    spy.svc().set_budget_timer(b, 400, lambda: None)
    assert sorted(event.when for event in board.sched.timer_events()) == [400, 2000]
    assert len(board.events.pending()) == 2
    board.run_to(500)
    assert [event.when for event in board.sched.timer_events()] == [2000]


def test_add_vm_after_start_enqueues_at_once() -> None:
    """A VM added while running is READY and the policy may pick it immediately."""
    spy = Spy()
    board = Board(spy)
    board.vms("a")
    board.sched.start()
    board.run_to(100)
    c = VmHandle("c", 1)
    board.sched.add_vm(c)
    assert board.log == [(0, None, "a"), (100, "a", "c")]


def test_misuse_of_the_seam_is_refused() -> None:
    """Double add, WFI of a VM not running, wake before start, unknown VM, double start."""
    board = Board(Spy())
    a, _ = board.vms("a", "b")
    with pytest.raises(SchedulerStateError, match=r"^VM 'a' is already added$"):
        board.sched.add_vm(VmHandle("a", 7))
    with pytest.raises(SchedulerStateError, match=r"^vm_runnable\(\) before start\(\)$"):
        board.sched.vm_runnable(a)
    board.sched.start()
    with pytest.raises(SchedulerStateError, match=r"^vm_waits\('a'\): the VM is READY, not the"):
        board.sched.vm_waits(a)
    with pytest.raises(SchedulerStateError, match="is not a VM of this scheduler"):
        board.sched.vm_runnable(VmHandle("x", 9))
    with pytest.raises(SchedulerStateError, match="already started"):
        board.sched.start()


class Faulty(Spy):
    """A Spy that can be told to misbehave in one callback."""

    name = "faulty"

    def __init__(self) -> None:
        super().__init__()
        self.fault: str | None = None
        self.answer: object = None

    def schedule(self) -> VmHandle | None:
        if self.fault == "raise":
            raise RuntimeError("boom")
        if self.fault == "answer":
            return self.answer  # type: ignore[return-value]
        if self.fault == "loop":
            self.svc().request_reschedule()
        return super().schedule()

    def yield_(self, vm: VmHandle) -> None:
        if self.fault == "yield":
            raise KeyError("lost track")
        super().yield_(vm)

    def block(self, vm: VmHandle) -> None:
        if self.fault == "block":
            raise ValueError("cannot block")
        super().block(vm)


def started(fallback: SchedulerPolicy | None = None) -> tuple[Board, Faulty, VmHandle, VmHandle]:
    """A Faulty policy running VMs a and b (b runs, a is READY) at cycle 100."""
    policy = Faulty()
    board = Board(policy, fallback)
    a, b = board.vms("a", "b")
    board.sched.start()
    board.run_to(100)
    return board, policy, a, b


@pytest.mark.parametrize(
    ("fault", "answer", "problem"),
    [
        ("raise", None, "raised RuntimeError: boom"),
        ("answer", "WAITING", "returned VM 'c', which is WAITING (not runnable)"),
        ("answer", "b", "returned 'b', which is not one of the VMs ('a', 'b', 'c')"),
        (
            "answer",
            VmHandle("a", 0),
            "returned VmHandle('a', index=0, WAITING), which is not one of the VMs ('a', 'b', 'c')",
        ),
        ("loop", None, None),
    ],
)
def test_a_bad_schedule_answer_stops_the_run_cleanly(
    fault: str, answer: object, problem: str | None
) -> None:
    """The error names policy, callback and fault; nothing switched; the scheduler stays shut."""
    board, policy, a, b = started()
    c = VmHandle("c", 2)
    board.sched.add_vm(c)
    board.sched.vm_runnable(c)
    board.sched.vm_waits(c)
    policy.fault, policy.answer = fault, (c if answer == "WAITING" else answer)
    handle = policy.svc().set_timer(500, lambda: None, "later")
    with pytest.raises(SchedulerPluginError) as caught:
        board.sched.reschedule()
    if fault == "loop":
        callback, problem = (
            "request_reschedule()",
            "requested rescheduling 100 times in a row without settling",
        )
    else:
        callback = "schedule()"
    assert str(caught.value) == f"scheduler policy 'faulty' failed in {callback}: {problem}"
    assert (board.sched.current, b.state, a.state) == (b, VmState.RUNNING, VmState.READY)
    assert not handle.pending
    with pytest.raises(SchedulerStateError, match="stopped after a failure: scheduler policy"):
        board.sched.vm_waits(b)


def test_a_fault_in_yield_leaves_the_waiting_vm_switched_out() -> None:
    """b did execute WFI: it is WAITING and the CPU idles when yield_ raises."""
    board, policy, _, b = started()
    policy.fault = "yield"
    with pytest.raises(
        SchedulerPluginError, match=r"failed in yield_\('b'\): raised KeyError: 'lost track'$"
    ):
        board.sched.vm_waits(b)
    assert (b.state, board.sched.current, board.log[-1]) == (
        VmState.WAITING,
        None,
        (100, "b", None),
    )


def test_a_fault_in_block_makes_no_half_switch() -> None:
    """schedule() chose a, block(b) raised: b still runs, a stays READY, no switch announced."""
    board, policy, a, b = started()
    policy.queue.reverse()
    policy.fault = "block"
    with pytest.raises(SchedulerPluginError, match=r"failed in block\('b'\): raised ValueError"):
        board.sched.reschedule()
    assert (board.sched.current, b.state, a.state, board.log) == (
        b,
        VmState.RUNNING,
        VmState.READY,
        [(0, None, "b")],
    )


def test_timer_faults_are_caught_too() -> None:
    """A timer in the past and a timer re-arming itself at the same cycle are policy faults."""
    board, policy, _, _ = started()

    def late() -> None:
        policy.svc().set_timer(150, lambda: None, "late")

    policy.svc().set_timer(200, late, "t")
    with pytest.raises(SchedulerPluginError) as caught:
        board.run_to(300)
    assert str(caught.value) == (
        "scheduler policy 'faulty' failed in timer 't': raised ValueError: "
        "set_timer('late'): cycle 150 is in the past (now 200)"
    )
    board, policy, _, _ = started()

    def again() -> None:
        policy.svc().set_timer(board.clock.now(), again, "storm")

    policy.svc().set_timer(150, again, "storm")
    with pytest.raises(
        SchedulerPluginError, match=r"timer 'storm': more than 10000 timer callbacks at cycle 150"
    ):
        board.run_to(300)


def test_the_fallback_takes_over_and_the_run_goes_on() -> None:
    """At 2 ms the policy raises: round robin gets every VM (running one first) and goes on."""
    policy = Faulty()
    sim = Sim(policy, fallback=RoundRobinPolicy(quantum_us=1000))
    sim.add("a", work=None)
    sim.add("b", work=None)
    stale = policy.svc().set_timer(2_500 * US, lambda: policy.queue.reverse(), "stale")

    def break_policy() -> None:
        policy.fault = "raise"
        sim.sched.reschedule()

    sim.at(2 * MS, break_policy)
    assert sim.run(5 * MS) == [(0, "b"), (3 * MS, "a"), (4 * MS, "b"), (5 * MS, "a")]
    stats = sim.sched.stats()
    assert stats.failures == (
        PolicyFailure(
            2 * MS,
            "'faulty'",
            "schedule()",
            "scheduler policy 'faulty' failed in schedule(): raised RuntimeError: boom",
            "'round-robin'",
        ),
    )
    assert (stats.policy, isinstance(sim.sched.policy, RoundRobinPolicy)) == ("'round-robin'", True)
    assert not stale.pending
    with pytest.raises(SchedulerStateError, match="'faulty' was replaced"):
        policy.svc().set_timer(6 * MS, lambda: None, "too late")


def test_the_fallback_gets_its_own_parameters() -> None:
    """Fixed priority takes over with fallback_params, also for a VM added afterwards."""
    policy = Faulty()
    policy.fault = "raise"
    board = Board(policy, fallback=FixedPriorityPolicy())
    a = VmHandle("a", 0)
    board.sched.add_vm(a, {"x": 1}, fallback_params={"priority": 3})
    board.sched.start()
    assert (board.sched.current, a.params) == (a, FixedPriorityParams(3))
    board.run_to(100)
    b = VmHandle("b", 1)
    board.sched.add_vm(b, {"x": 2}, fallback_params={"priority": 0})
    assert (board.log, b.params) == ([(0, None, "a"), (100, "a", "b")], FixedPriorityParams(0))
    with pytest.raises(
        PolicyParameterError, match=r"^VM 'c': fixed-priority: priority: missing"
    ) as caught:
        board.sched.add_vm(VmHandle("c", 2), {"x": 3})
    assert caught.value.__cause__ is None and caught.value.__suppress_context__  # (``from None``)
    assert [f.callback for f in board.sched.stats().failures] == ["schedule()"]


def test_a_failing_fallback_stops_the_run_and_says_it_was_the_fallback() -> None:
    """Both policies raise in schedule(): two failures recorded, the second one raised."""
    main, spare = Faulty(), Faulty()
    main.fault = spare.fault = "raise"
    board = Board(main, fallback=spare)
    board.vms("a")
    with pytest.raises(SchedulerPluginError) as caught:
        board.sched.start()
    assert str(caught.value) == (
        "scheduler fallback policy 'faulty' failed in schedule(): raised RuntimeError: boom"
    )
    failures = board.sched.stats().failures
    assert [(f.callback, f.replaced_by) for f in failures] == [
        ("schedule()", "'faulty'"),
        ("schedule()", None),
    ]
    assert board.sched.current is None


def test_a_policy_failing_at_init_is_replaced_from_the_start() -> None:
    """init() raising at construction hands the scheduler to the fallback before any VM."""

    class BadInit(Spy):
        def init(self, services: SchedulerServices) -> None:
            raise OSError("no memory")

    board = Board(BadInit(), fallback=RoundRobinPolicy())
    board.vms("a")
    board.sched.start()
    assert board.log == [(0, None, "a")]
    assert board.sched.stats().failures[0].message == (
        "scheduler policy 'spy' failed in init(): raised OSError: no memory"
    )


class FailingIn(Spy):
    """A spy that raises in the callback named ``fail_in`` once it is set."""

    fail_in = ""

    def _maybe_fail(self, callback: str) -> None:
        if callback == self.fail_in:
            raise RuntimeError("boom")

    def enque(self, vm: VmHandle) -> None:
        self._maybe_fail("enque")
        super().enque(vm)

    def yield_(self, vm: VmHandle) -> None:
        self._maybe_fail("yield_")
        super().yield_(vm)

    def block(self, vm: VmHandle) -> None:
        self._maybe_fail("block")
        super().block(vm)

    def remove(self, vm: VmHandle) -> None:
        self._maybe_fail("remove")
        super().remove(vm)


@pytest.mark.parametrize(
    ("callback", "vm"), [("enque", "b"), ("yield_", "a"), ("block", "a"), ("remove", "b")]
)
def test_a_failing_callback_is_recorded_with_the_vm_it_was_about(callback: str, vm: str) -> None:
    """b waits while a runs; then b wakes (enque b, then block a), a waits (yield_ a) or b
    stops (remove b), the callback raising: the failure names it as ``callback('vm')``."""
    policy = FailingIn()
    board = Board(policy, fallback=RoundRobinPolicy())
    a, b = board.vms("a", "b")
    board.sched.start()  # most recently woken first: b runs
    board.sched.vm_waits(b)
    policy.fail_in = callback
    if callback == "yield_":
        board.sched.vm_waits(a)
    elif callback == "remove":
        board.sched.vm_stopped(b)
    else:
        board.sched.vm_runnable(b)
    assert [f.callback for f in board.sched.stats().failures] == [f"{callback}({vm!r})"]


def test_a_stopped_scheduler_refuses_a_wake_and_announces_nothing() -> None:
    """After a failure without fallback, ``vm_runnable`` refuses as every operation does (its
    frame is written out, not a ``with``), and no switch is told."""
    board, policy, _, b = started()
    policy.fault = "yield"
    with pytest.raises(SchedulerPluginError):
        board.sched.vm_waits(b)
    told = list(board.log)
    with pytest.raises(SchedulerStateError, match="stopped after a failure: scheduler policy"):
        board.sched.vm_runnable(b)
    assert (b.state, board.sched.current, board.log) == (VmState.WAITING, None, told)
