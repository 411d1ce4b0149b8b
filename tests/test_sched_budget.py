"""Budget timers fire after a VM has *run* its budget: time off the CPU does not count."""

from __future__ import annotations

from rthv.board.events import EventQueue
from rthv.hv.scheduling.api import TimerCallback, VmHandle
from rthv.hv.scheduling.budget import BudgetTimers
from rthv.hv.scheduling.stats import VmAccount


class Cpu:
    """One VM's account on an event queue, stepped by hand."""

    def __init__(self) -> None:
        self.now = 0
        self.events = EventQueue()
        self.vm = VmHandle("a", 0)
        self.account = VmAccount()
        self.fired: list[tuple[str, int]] = []
        self.timers = BudgetTimers(
            self.events, lambda vm: self.account.consumed(self.now), lambda: self.now, self._fire
        )

    def _fire(self, label: str, callback: TimerCallback) -> None:
        self.fired.append((label, self.now))
        callback()

    def run_to(self, cycle: int) -> None:
        while (due := self.events.peek()) is not None and due <= cycle:
            self.now = due
            self.events.run_due(due)
        self.now = cycle

    def switch_in(self) -> None:
        self.account.switch_in(self.now)
        self.timers.switched_in(self.vm)

    def switch_out(self) -> None:
        self.account.switch_out(self.now)
        self.timers.switched_out(self.vm)


def test_a_budget_pauses_while_its_vm_is_switched_out() -> None:
    """300 cycles set at 0 while running; out from 100 to 600: it fires at 800."""
    cpu = Cpu()
    cpu.switch_in()
    cpu.timers.set(cpu.vm, 300, lambda: None, running=True)
    cpu.run_to(100)
    cpu.switch_out()
    cpu.run_to(600)
    assert cpu.fired == []
    cpu.switch_in()
    cpu.run_to(1000)
    assert cpu.fired == [("budget timer of VM 'a'", 800)]


def test_a_dropped_or_replaced_budget_never_fires() -> None:
    """Dropping cancels; setting again replaces the first budget; ``clear`` forgets all."""
    cpu = Cpu()
    calls: list[str] = []
    cpu.switch_in()
    cpu.timers.set(cpu.vm, 50, lambda: calls.append("first"), running=True)
    cpu.timers.set(cpu.vm, 80, lambda: calls.append("second"), running=True)
    cpu.run_to(100)
    cpu.timers.set(cpu.vm, 10, lambda: calls.append("dropped"), running=True)
    cpu.timers.drop(cpu.vm)
    cpu.timers.set(cpu.vm, 10, lambda: calls.append("cleared"), running=True)
    cpu.timers.clear()
    cpu.run_to(500)
    assert calls == ["second"] and cpu.fired == [("budget timer of VM 'a'", 80)]


def _armed(cpu: Cpu) -> list[tuple[int, int, int, str, bool]]:
    """The event queue's entries, as the run would order and name them."""
    return sorted((e[0], e[1], e[2], e[3].name, e[3].cancelled) for e in cpu.events.heap)


def test_switching_in_with_the_time_and_consumption_at_hand_arms_the_same_event() -> None:
    """``switched_in_at(vm, now, consumed)`` (the framework's switch-in) and ``switched_in(vm)``
    leave the same queue, and the budget fires at the same cycle, after time off the CPU."""
    general, short = Cpu(), Cpu()
    for cpu in (general, short):
        cpu.switch_in()
        cpu.timers.set(cpu.vm, 300, lambda: None, running=True)
        cpu.run_to(120)
        cpu.switch_out()
        cpu.run_to(700)
    general.switch_in()
    short.account.switch_in(short.now)
    short.timers.switched_in_at(short.vm, short.now, short.account.consumed(short.now))
    assert _armed(short) == _armed(general) and _armed(general)[-1][0] == 880
    for cpu in (general, short):
        cpu.run_to(2000)
    assert short.fired == general.fired == [("budget timer of VM 'a'", 880)]


def test_armed_events_are_those_of_the_running_vms_budget() -> None:
    """A budget's event is queued only while its VM runs; it is gone once it fires."""
    cpu = Cpu()
    cpu.timers.set(cpu.vm, 300, lambda: None, running=False)
    assert cpu.timers.armed_events() == []
    cpu.switch_in()
    [armed] = cpu.timers.armed_events()
    assert armed.when == 300 and [event is armed for event in cpu.events.pending()] == [True]
    cpu.switch_out()
    assert cpu.timers.armed_events() == []
    cpu.switch_in()
    cpu.run_to(1000)
    assert cpu.timers.armed_events() == []
