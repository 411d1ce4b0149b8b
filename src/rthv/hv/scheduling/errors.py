"""Errors of the VM scheduler: bad parameters, faulty policies, misuse of the seam."""

from __future__ import annotations


class SchedulerError(Exception):
    """Base class of every scheduler error."""


class PolicyParameterError(SchedulerError, ValueError):
    """A scheduling parameter (per VM or per policy) is missing, unknown or out of range."""

    def __init__(
        self, message: str, *, parameter: str | None = None, problem: str | None = None
    ) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.problem = problem  # what is wrong with ``parameter``, without where it is

    def at(self, where: str) -> PolicyParameterError:
        """The same error placed at ``where`` (e.g. "system.toml: vm[0].sched")."""
        if self.parameter is not None and self.problem is not None:
            message = f"{where}.{self.parameter}: {self.problem}"
        else:
            message = f"{where}: {self}"
        return PolicyParameterError(message, parameter=self.parameter, problem=self.problem)


class SchedulerPluginError(SchedulerError):
    """A policy could not be loaded, or misbehaved at run time (raised, returned garbage)."""


class SchedulerStateError(SchedulerError, RuntimeError):
    """The hypervisor used the scheduler seam inconsistently (e.g. a non-running VM waits)."""
