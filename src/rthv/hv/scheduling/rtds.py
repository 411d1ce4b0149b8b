"""RTDS in the manner of Xen's real-time deferrable server scheduler, for one CPU.

Per-VM parameters: ``budget_us`` and ``period_us`` (both required, 1 <= budget <= period). Each
VM is a deferrable server: at the start of each period its budget is refilled (unused budget is
dropped), the budget burns only while the VM runs, and the server's deadline is the end of the
period. Servers with budget left are scheduled EDF by that deadline (equal deadlines: lower VM
index); a VM out of budget waits, though runnable, until its next replenishment. Periods start
at the VM's first ``enque`` (boot) and repeat back to back.

Xen's optional "extratime" (running on spare time without budget) is not provided. A server
miss is recorded when a period ends while its VM is runnable and has budget left: the VM wanted
CPU but did not receive its reservation in time.
"""

from __future__ import annotations

from rthv.hv.scheduling.periodic import PeriodicServerPolicy, Server


class RtdsPolicy(PeriodicServerPolicy):
    """Deferrable servers (budget per period) scheduled EDF by their current deadlines."""

    name = "rtds"

    budget_required = True

    def period_ended(self, server: Server, used: int) -> None:
        """A runnable VM that still had budget at the period end missed its reservation."""
        budget = server.budget if server.budget is not None else 0
        if server.vm.runnable and used < budget:
            detail = (
                f"server period from cycle {server.release} ended with {budget - used} of "
                f"{budget} budget cycles unused while the VM was runnable"
            )
            self.services.report_deadline_miss(server.vm, server.deadline, detail)
