"""Scheduler errors: a parameter error can be placed where the configuration holds it."""

from __future__ import annotations

from rthv.hv.scheduling.errors import (
    PolicyParameterError,
    SchedulerError,
    SchedulerPluginError,
    SchedulerStateError,
)


def test_a_parameter_error_is_placed_at_its_field() -> None:
    """With the parameter known, ``at`` names the full path to it; the problem is kept."""
    error = PolicyParameterError("edf: period: must be >= 1", parameter="period", problem="x")
    placed = error.at("system.toml: vm[1].sched")
    assert str(placed) == "system.toml: vm[1].sched.period: x"
    assert (placed.parameter, placed.problem) == ("period", "x")


def test_without_a_parameter_the_place_prefixes_the_message() -> None:
    """An error about no single parameter keeps its message behind the place."""
    placed = PolicyParameterError("no parameters expected").at("vm[0].sched")
    assert str(placed) == "vm[0].sched: no parameters expected"


def test_every_error_is_a_scheduler_error_and_its_builtin_kind() -> None:
    """Callers catch one base class, or the builtin kind (bad value, wrong state)."""
    assert issubclass(PolicyParameterError, ValueError)
    assert issubclass(SchedulerStateError, RuntimeError)
    for kind in (PolicyParameterError, SchedulerPluginError, SchedulerStateError):
        assert issubclass(kind, SchedulerError)
