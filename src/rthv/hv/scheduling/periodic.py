"""What EDF and RTDS share: one periodic server per VM, releases by timer, budgets, EDF order.

Each VM gets a period T (and maybe a budget B, CPU cycles per period). Its first period starts
when it is first enqueued (``start()``: all VMs together); period k covers [r_k, r_k + T) and its
absolute deadline is r_k + T, where the next period starts (a release timer fires there whatever
the VM's state). At each release the budget is refilled to B and what was left is dropped; B
counts only while the VM runs (a budget timer), so an idle VM keeps its budget for later in the
period (a deferrable server). A VM that used up B is *depleted*: runnable but not eligible until
its next release. ``schedule`` returns the eligible runnable VM with the earliest deadline; equal
deadlines go to the lower VM index. Subclasses define a deadline miss (and whether a budget is
required).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass

from rthv.hv.scheduling.api import SchedulerPolicy, SchedulerServices, TimerHandle, VmHandle
from rthv.hv.scheduling.errors import SchedulerStateError
from rthv.hv.scheduling.params import ParamReader


@dataclass(frozen=True)
class PeriodicParams:
    """A VM's period and optional budget, in microseconds."""

    period_us: int
    budget_us: int | None


@dataclass
class Server:
    """The periodic server of one VM: its parameters in cycles and the current period."""

    vm: VmHandle
    params: PeriodicParams
    period: int
    budget: int | None
    release: int | None = None  # start of the current period; None before the first
    deadline: int = 0
    used_at_release: int = 0  # the VM's consumed cycles when the current period began
    depleted: bool = False
    timer: TimerHandle | None = None
    next_params: PeriodicParams | None = None  # a change waiting for the next release
    pending: bool = False  # EDF: the current job wants CPU and has not finished
    done: bool = False  # EDF: the current job finished


class PeriodicServerPolicy(SchedulerPolicy):
    """EDF over per-VM periodic servers; subclasses read parameters and detect misses."""

    def __init__(self) -> None:
        self._services: SchedulerServices | None = None
        self._servers: dict[VmHandle, Server] = {}

    @property
    def services(self) -> SchedulerServices:
        """The framework services given to ``init``."""
        if self._services is None:
            raise SchedulerStateError(f"{self.name}: used before init()")
        return self._services

    # -- what subclasses define ------------------------------------------------------------

    budget_required = False  # every server has a budget (RTDS), or only those given one (EDF)

    def read_params(self, params: Mapping[str, object]) -> PeriodicParams:
        """``period_us`` (required) and ``budget_us`` (at most the period; required if
        ``budget_required``)."""
        reader = ParamReader(params, self.name)
        period_us = reader.integer("period_us", minimum=1)
        if self.budget_required:
            budget_us: int | None = reader.integer("budget_us", minimum=1, maximum=period_us)
        else:
            budget_us = reader.optional_integer("budget_us", minimum=1, maximum=period_us)
        reader.finish()
        return PeriodicParams(period_us, budget_us)

    @abstractmethod
    def period_ended(self, server: Server, used: int) -> None:
        """The current period of ``server`` ends now, ``used`` cycles run in it: check misses."""

    def released(self, server: Server) -> None:
        """A new period of ``server`` began (hook)."""

    def woke(self, server: Server) -> None:
        """The VM of ``server`` became runnable again (hook)."""

    def waited(self, server: Server) -> None:
        """The VM of ``server`` executed WFI (hook)."""

    def depleted(self, server: Server) -> None:
        """``server`` used up its budget for this period (hook)."""

    # -- the callbacks -----------------------------------------------------------------------

    def init(self, services: SchedulerServices) -> None:
        """Keep the services."""
        self._services = services

    def allocate(self, vm: VmHandle, params: Mapping[str, object]) -> object:
        """Read the VM's period and budget; its first period starts at its first ``enque``."""
        record = self.read_params(params)
        period, budget = self._cycles(record)
        self._servers[vm] = Server(vm, record, period, budget)
        return record

    def change_params(self, vm: VmHandle, params: Mapping[str, object]) -> object:
        """New period/budget, in force from the VM's next release."""
        record = self.read_params(params)
        self._servers[vm].next_params = record
        return record

    def enque(self, vm: VmHandle) -> None:
        """Start the VM's first period, or note that it woke."""
        self._catch_up()
        server = self._servers[vm]
        if server.release is None:
            self._release(server, self.services.now())
        else:
            self.woke(server)

    def yield_(self, vm: VmHandle) -> None:
        """Note that the VM waits (its server keeps its budget)."""
        self._catch_up()
        self.waited(self._servers[vm])

    def block(self, vm: VmHandle) -> None:
        """Nothing to do: the preempted VM keeps its deadline and budget."""

    def remove(self, vm: VmHandle) -> None:
        """Stop the VM's releases."""
        server = self._servers.pop(vm)
        self.services.cancel_timer(server.timer)
        self.services.cancel_budget_timer(vm)

    def schedule(self) -> VmHandle | None:
        """The eligible runnable VM with the earliest deadline (ties: lower index)."""
        self._catch_up()
        eligible = [
            s
            for s in self._servers.values()
            if s.vm.runnable and not s.depleted and s.release is not None
        ]
        if not eligible:
            return None
        return min(eligible, key=lambda s: (s.deadline, s.vm.index)).vm

    # -- periods and budgets ---------------------------------------------------------------

    def used(self, server: Server) -> int:
        """Cycles the VM ran in its current period."""
        return self.services.consumed(server.vm) - server.used_at_release

    def _cycles(self, record: PeriodicParams) -> tuple[int, int | None]:
        period = self.services.cycles(record.period_us * 1000)
        budget = None if record.budget_us is None else self.services.cycles(record.budget_us * 1000)
        return period, budget

    def _catch_up(self) -> None:
        """Release now every period that ends now, even if its timer has not fired yet."""
        now = self.services.now()
        for server in list(self._servers.values()):
            while server.release is not None and server.deadline <= now:
                self.services.cancel_timer(server.timer)
                self._release(server, server.deadline)

    def _release(self, server: Server, at: int) -> None:
        services = self.services
        if server.release is not None:
            self.period_ended(server, self.used(server))
        if server.next_params is not None:
            server.params, server.next_params = server.next_params, None
            server.period, server.budget = self._cycles(server.params)
        vm = server.vm
        server.release, server.deadline = at, at + server.period
        server.used_at_release = services.consumed(vm)
        server.depleted = False
        if server.budget is None:
            services.cancel_budget_timer(vm)
        else:
            services.set_budget_timer(vm, server.budget, lambda: self._deplete(server))
        services.release_job(vm, server.deadline)
        self.released(server)
        deadline = server.deadline
        server.timer = services.set_timer(
            deadline, lambda: self._release(server, deadline), f"release {vm.name}"
        )

    def _deplete(self, server: Server) -> None:
        server.depleted = True
        self.depleted(server)
