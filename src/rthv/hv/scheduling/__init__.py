"""Pluggable VM scheduling: the policy API, the framework, built-in policies and plug-ins."""

from rthv.hv.scheduling.api import (
    SchedulerPolicy,
    SchedulerServices,
    TimerCallback,
    TimerHandle,
    VmHandle,
    VmState,
    describe_policy,
)
from rthv.hv.scheduling.arinc653 import Arinc653Policy
from rthv.hv.scheduling.edf import EdfPolicy
from rthv.hv.scheduling.errors import (
    PolicyParameterError,
    SchedulerError,
    SchedulerPluginError,
    SchedulerStateError,
)
from rthv.hv.scheduling.fixed_priority import FixedPriorityPolicy
from rthv.hv.scheduling.framework import MissListener, Scheduler
from rthv.hv.scheduling.params import ParamReader, check_integer
from rthv.hv.scheduling.registry import (
    BUILTIN_POLICIES,
    PolicySpec,
    load_policy,
    parse_policy_spec,
)
from rthv.hv.scheduling.round_robin import RoundRobinPolicy
from rthv.hv.scheduling.rtds import RtdsPolicy
from rthv.hv.scheduling.stats import DeadlineMiss, PolicyFailure, SchedulerStats, VmStats
from rthv.hv.scheduling.switches import SwitchListener

__all__ = [
    "BUILTIN_POLICIES",
    "Arinc653Policy",
    "DeadlineMiss",
    "EdfPolicy",
    "FixedPriorityPolicy",
    "MissListener",
    "ParamReader",
    "PolicyFailure",
    "PolicyParameterError",
    "PolicySpec",
    "RoundRobinPolicy",
    "RtdsPolicy",
    "Scheduler",
    "SchedulerError",
    "SchedulerPluginError",
    "SchedulerPolicy",
    "SchedulerServices",
    "SchedulerStateError",
    "SchedulerStats",
    "SwitchListener",
    "TimerCallback",
    "TimerHandle",
    "VmHandle",
    "VmState",
    "VmStats",
    "check_integer",
    "describe_policy",
    "load_policy",
    "parse_policy_spec",
]
