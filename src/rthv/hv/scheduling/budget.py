"""Budget timers: fire when a VM has *run* a number of cycles, counting only while it runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from rthv.board.events import Event, EventQueue
from rthv.hv.scheduling.api import TimerCallback
from rthv.hv.scheduling.vm_handle import VmHandle

BUDGET_EVENT_PRIORITY: Final = 0


class _Budget:
    """One VM's budget timer: due when its consumed cycles reach ``target``; ``expire`` is its
    event's action (made once, not at every switch-in). A plain class: a compiled dataclass
    keeps an interpreted ``__init__``, and one is made at every quantum."""

    __slots__ = ("callback", "event", "expire", "target")

    def __init__(self, target: int, callback: TimerCallback, expire: Callable[[], None]) -> None:
        self.target = target
        self.callback = callback
        self.expire = expire
        self.event: Event | None = None


class BudgetTimers:
    """At most one budget timer per VM; an event is armed only while that VM runs."""

    def __init__(
        self,
        events: EventQueue,
        consumed: Callable[[VmHandle], int],
        now: Callable[[], int],
        fire: Callable[[str, TimerCallback], None],
    ) -> None:
        self._events = events
        self._consumed = consumed
        self._now = now
        self._fire = fire
        self._budgets: dict[VmHandle, _Budget] = {}
        self._event_names: dict[VmHandle, str] = {}  # each VM's, written once

    def set(self, vm: VmHandle, cycles: int, callback: TimerCallback, running: bool) -> None:
        """Fire ``callback`` after ``vm`` runs ``cycles`` more; arm now if it is ``running``."""
        old = self._budgets.pop(vm, None)  # (``drop``)
        if old is not None and old.event is not None:
            self._events.cancel(old.event)
        consumed = self._consumed(vm)

        def expire() -> None:
            if self._budgets.get(vm) is budget:
                del self._budgets[vm]
                self._fire(f"budget timer of VM '{vm.name}'", budget.callback)

        budget = self._budgets[vm] = _Budget(consumed + cycles, callback, expire)
        if running:
            self.switched_in_at(vm, self._now(), consumed)

    def drop(self, vm: VmHandle) -> None:
        """Forget the budget timer of ``vm``."""
        budget = self._budgets.pop(vm, None)
        if budget is not None and budget.event is not None:  # (armed: its VM runs)
            self._events.cancel(budget.event)

    def clear(self) -> None:
        """Forget every budget timer (the policy that set them was retired)."""
        for vm in list(self._budgets):
            self.drop(vm)

    def armed_events(self) -> list[Event]:
        """The events of the budget timers armed now (those of VMs that run)."""
        return [budget.event for budget in self._budgets.values() if budget.event is not None]

    def switched_in(self, vm: VmHandle) -> None:
        """``vm`` got the CPU: arm its event at the cycle its budget runs out."""
        if vm in self._budgets:
            self.switched_in_at(vm, self._now(), self._consumed(vm))

    def switched_in_at(self, vm: VmHandle, now: int, consumed: int) -> None:
        """``switched_in(vm)`` with the time and ``vm``'s consumed cycles known already (the
        framework's switch-in has them at hand): the same event, armed the same way."""
        budget = self._budgets.get(vm)
        if budget is None:
            return
        name = self._event_names.get(vm)
        if name is None:
            name = self._event_names[vm] = f"sched budget {vm.name}"
        budget.event = self._events.schedule(
            now + max(0, budget.target - consumed),
            budget.expire,
            priority=BUDGET_EVENT_PRIORITY,
            name=name,
        )

    def switched_out(self, vm: VmHandle) -> None:
        """``vm`` lost the CPU: its budget stops counting."""
        budget = self._budgets.get(vm)
        if budget is not None:
            self._events.cancel(budget.event)
            budget.event = None
