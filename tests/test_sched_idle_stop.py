"""A run stops idle once every VM waits for good, whatever timers the policy keeps queued."""

from __future__ import annotations

from pathlib import Path

import pytest

import rthv
from hv_support import vm_toml, write_system
from rthv.board.run_result import StopCause
from rthv.hv.scheduling import EdfPolicy, RtdsPolicy, VmState
from rthv.hv.scheduling.idle_stop import every_vm_waits_for_good
from rthv.hv.trace_log import Switch
from sched_harness import MS, Sim

PLUGINS = Path(__file__).parent / "plugins"
TICK_ROTATION = f"{PLUGINS / 'tick_rotation.py'}:TickRotation"


def _waited_for_good(policy: EdfPolicy | RtdsPolicy) -> Sim:
    """Two VMs that each run 1 ms, then wait with nothing queued to wake them."""
    sim = Sim(policy)
    sim.add("a", {"period_us": 10_000, "budget_us": 5_000}, work=1 * MS)
    sim.add("b", {"period_us": 10_000, "budget_us": 5_000}, work=1 * MS)
    sim.run(5 * MS)
    return sim


@pytest.mark.parametrize("policy", [EdfPolicy, RtdsPolicy])
def test_waiting_vms_with_only_the_policys_timers_queued_wait_for_good(
    policy: type[EdfPolicy | RtdsPolicy],
) -> None:
    """Both VMs wait; their next releases are queued, but a release cannot wake a VM."""
    sim = _waited_for_good(policy())
    assert [vm.state for vm in sim.vms.values()] == [VmState.WAITING] * 2
    assert len(sim.events) == 2  # a release for each
    assert every_vm_waits_for_good(sim.sched)


def test_any_other_event_queued_may_wake_a_vm() -> None:
    """An interrupt still to come (here at 50 ms) keeps the CPU asleep, not stopped."""
    sim = _waited_for_good(EdfPolicy())
    sim.wake("a", 50 * MS, 1 * MS)
    assert not every_vm_waits_for_good(sim.sched)


def test_a_throttled_vm_is_not_waiting_for_good() -> None:
    """Out of budget, a runnable VM waits for its replenishment, a policy timer: it will run."""
    sim = Sim(RtdsPolicy())
    sim.add("a", {"period_us": 10_000, "budget_us": 1_000}, work=None)
    sim.add("b", {"period_us": 10_000, "budget_us": 1_000}, work=0)
    sim.run(5 * MS)
    assert (sim.vms["a"].state, sim.vms["b"].state) == (VmState.READY, VmState.WAITING)
    assert sim.sched.current is None
    assert not every_vm_waits_for_good(sim.sched)


def test_a_stopped_vm_waits_for_good_too() -> None:
    """A VM stopped for good (faulted, switched off) beside one that waits: nothing can happen."""
    sim = _waited_for_good(EdfPolicy())
    sim.sched.vm_stopped(sim.vms["a"])
    assert sim.events.pending() and every_vm_waits_for_good(sim.sched)


def test_a_running_vm_is_not_waiting() -> None:
    """While a VM runs nothing is decided (its budget timer is the scheduler's, yet it runs)."""
    sim = Sim(RtdsPolicy())
    sim.add("a", {"period_us": 10_000, "budget_us": 1_000}, work=None)
    sim.run(500_000)
    assert sim.sched.current is sim.vms["a"]
    assert not every_vm_waits_for_good(sim.sched)


# -- whole systems of bare guests: hello prints two lines and halts (WFI, interrupts masked) ---


def _system(
    folder: Path, policy: str, images: tuple[str, str], sched: tuple[str, str], params: str
) -> rthv.System:
    """VMs a and b, each with its own UART seen at UART0's address, under ``policy``."""
    a = vm_toml("a", images[0], sched=sched[0])
    b = vm_toml("b", images[1], uart="uart1", sched=sched[1])
    head = f'[scheduler]\npolicy = "{policy}"\n{params}\n'
    return rthv.load(write_system(folder, a, b, head=head))


POLICIES = [
    ("edf", ("period_us = 10000", "period_us = 10000"), ""),
    ("rtds", ("budget_us = 2000\nperiod_us = 10000",) * 2, ""),
    ("arinc653", ("", ""), 'params = { frame = [["a", 4000], ["b", 6000]] }'),
    (TICK_ROTATION, ("", ""), ""),
    ("round-robin", ("", ""), ""),
    ("fixed-priority", ("priority = 0", "priority = 1"), ""),
]
PERIODIC = {"edf", "rtds", "arinc653", TICK_ROTATION}  # policies whose timers never run out


@pytest.mark.parametrize(
    ("policy", "sched", "params"),
    POLICIES,
    ids=["edf", "rtds", "arinc653", "plug-in", "round-robin", "fixed-priority"],
)
def test_a_system_stops_idle_when_its_last_vm_waits_for_good(
    tmp_path: Path, policy: str, sched: tuple[str, str], params: str
) -> None:
    """Run to 1 s: the run stops idle at the world switch that left the CPU idle when the last
    VM waited, with the policy's timers still queued; not at 1 s."""
    system = _system(tmp_path, policy, ("hello", "hello"), sched, params)
    result = system.run(until="1s")
    hv = system.hypervisor
    switches = [event for event in hv.trace if isinstance(event, Switch)]
    last = switches[-1]
    assert (last.new, last.reason) == (None, "wfi")
    assert (result.cause, result.cycles) == (StopCause.IDLE, last.cycle)
    assert [vm.handle.state for vm in hv.vms.values()] == [VmState.WAITING] * 2
    for name in ("a", "b"):
        assert system.vm(name).console.text.endswith("hello done\n")
    assert bool(hv.scheduler.timer_events()) == (policy in PERIODIC)
    if policy == "arinc653":
        assert last.cycle > 4 * MS  # b ran in its window, after a's


THROTTLED = [
    ("rtds", ("budget_us = 1000\nperiod_us = 10000", "budget_us = 1000\nperiod_us = 10000"), ""),
    ("edf", ("budget_us = 1000\nperiod_us = 10000", "period_us = 10000"), ""),
    ("arinc653", ("", ""), 'params = { frame = [["a", 1000], ["b", 9000]] }'),
]


@pytest.mark.parametrize(("policy", "sched", "params"), THROTTLED, ids=["rtds", "edf", "arinc653"])
def test_a_vm_throttled_until_a_policy_timer_keeps_the_run_going(
    tmp_path: Path, policy: str, sched: tuple[str, str], params: str
) -> None:
    """a never waits (it prints on and on) but may run only 1 ms in 10 (its budget, or its
    window); b halts at once. Outside its 1 ms, a is runnable but waits for a policy timer
    with b waiting for good: the run goes on to 35 ms, and a gets its 1 ms in each period."""
    system = _system(tmp_path, policy, ("chatty", "hello"), sched, params)
    result = system.run(until="35ms")
    assert (result.cause, result.cycles) == (StopCause.UNTIL, 35 * MS)
    assert system.hypervisor.scheduler.stats().vms["a"].cycles_run == 4 * MS  # 0, 10, 20, 30 ms
