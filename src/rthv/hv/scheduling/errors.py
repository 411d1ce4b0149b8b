"""Errors of the VM scheduler: bad parameters, faulty policies, misuse of the seam."""

from __future__ import annotations


class SchedulerError(Exception):
    """Base class of every scheduler error."""


class PolicyParameterError(SchedulerError, ValueError):
    """A scheduling parameter (per VM or per policy) is missing, unknown or out of range."""

    def __init__(self, message: str, *, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter


class SchedulerPluginError(SchedulerError):
    """A policy could not be loaded, or misbehaved at run time (raised, returned garbage)."""


class SchedulerStateError(SchedulerError, RuntimeError):
    """The hypervisor used the scheduler seam inconsistently (e.g. a non-running VM waits)."""
