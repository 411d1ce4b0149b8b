"""Earliest Deadline First over periodic VMs, with optional per-period CPU budgets.

Per-VM parameters: ``period_us`` (required, >= 1) and ``budget_us`` (optional, 1..period_us).
Job k of a VM is released at r_k = r_0 + k * period (r_0: the VM's first ``enque``, i.e. boot)
and its absolute deadline is r_k + period. Among the runnable VMs that are not throttled, the one
with the earliest deadline runs (equal deadlines: lower VM index); a VM whose deadline is earlier
than the running one's preempts it at once. With ``budget_us`` the VM is throttled once it has run
``budget_us`` in its period, until its next release.

Deadline miss, precisely: job k becomes *pending* at the first moment in [r_k, r_k + period) at
which the VM is runnable. It *finishes* when the VM next executes WFI, or when it has used its
whole budget. A wake-up after the job finished in the same period does not start a new job
(the hypervisor cannot see guest job boundaries: WFI is its only sign of "done"). A job still
pending at its deadline is reported as a deadline miss at that instant.
"""

from __future__ import annotations

from rthv.hv.scheduling.periodic import PeriodicServerPolicy, Server


class EdfPolicy(PeriodicServerPolicy):
    """EDF: earliest absolute deadline first; periodic releases; optional budget throttling."""

    name = "edf"

    def released(self, server: Server) -> None:
        """A new job: pending at once if the VM is runnable."""
        server.done = False
        server.pending = server.vm.runnable

    def woke(self, server: Server) -> None:
        """The VM wants CPU: the job is pending unless it already finished."""
        if not server.done:
            server.pending = True

    def waited(self, server: Server) -> None:
        """WFI finishes the pending job."""
        self._finish(server)

    def depleted(self, server: Server) -> None:
        """A used-up budget finishes the pending job."""
        self._finish(server)

    def period_ended(self, server: Server, used: int) -> None:
        """Report a miss if the job is still pending at its deadline."""
        if server.pending:
            budget = "" if server.budget is None else f" of its {server.budget}-cycle budget"
            detail = (
                f"job released at cycle {server.release} still unfinished at its deadline "
                f"(ran {used} cycles{budget})"
            )
            self.services.report_deadline_miss(server.vm, server.deadline, detail)
            server.pending = False

    def _finish(self, server: Server) -> None:
        if server.pending:
            server.pending = False
            server.done = True
            self.services.complete_job(server.vm)
