"""Finding a policy by name: the built-ins, or a user's own ``file.py:ClassName`` plug-in.

A policy spec is either a built-in name (``BUILTIN_POLICIES``) or ``path/to/file.py:ClassName``,
the path relative to ``base_dir`` (the folder of the system config file). The class must be a
``SchedulerPolicy`` subclass. Policy-level parameters are passed to its constructor as keyword
arguments, so a policy declares them as keyword-only ``__init__`` parameters with defaults where
they are optional (e.g. ``RoundRobinPolicy(quantum_us=500)``). Every loading problem raises a
``SchedulerPluginError`` (or ``PolicyParameterError`` for parameters) with a one-line message.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import re
import sys
from collections.abc import Mapping
from pathlib import Path

from rthv.hv.scheduling.api import SchedulerPolicy
from rthv.hv.scheduling.arinc653 import Arinc653Policy
from rthv.hv.scheduling.edf import EdfPolicy
from rthv.hv.scheduling.errors import PolicyParameterError, SchedulerPluginError
from rthv.hv.scheduling.fixed_priority import FixedPriorityPolicy
from rthv.hv.scheduling.round_robin import RoundRobinPolicy
from rthv.hv.scheduling.rtds import RtdsPolicy

BUILTIN_POLICIES: dict[str, type[SchedulerPolicy]] = {
    FixedPriorityPolicy.name: FixedPriorityPolicy,
    EdfPolicy.name: EdfPolicy,
    RoundRobinPolicy.name: RoundRobinPolicy,
    RtdsPolicy.name: RtdsPolicy,
    Arinc653Policy.name: Arinc653Policy,
}

_KEYWORD_KINDS = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def load_policy(
    spec: str, *, base_dir: Path, params: Mapping[str, object] | None = None
) -> SchedulerPolicy:
    """Build the policy named by ``spec`` with policy-level keyword ``params``."""
    cls, origin = resolve_policy(spec, base_dir=base_dir)
    return construct_policy(cls, params or {}, origin)


def resolve_policy(spec: str, *, base_dir: Path) -> tuple[type[SchedulerPolicy], str | None]:
    """The policy class for ``spec`` and, for a plug-in, its ``file.py:Class`` origin."""
    if spec in BUILTIN_POLICIES:
        return BUILTIN_POLICIES[spec], None
    file_part, colon, class_name = spec.rpartition(":")
    if not colon or not file_part.endswith(".py") or not class_name.isidentifier():
        names = ", ".join(BUILTIN_POLICIES)
        raise SchedulerPluginError(
            f"unknown scheduler policy {spec!r}: use a built-in ({names}) "
            "or a plug-in as path/to/file.py:ClassName"
        )
    return _plugin_class(base_dir / file_part, class_name, spec), spec


def construct_policy(
    cls: type[SchedulerPolicy], params: Mapping[str, object], origin: str | None
) -> SchedulerPolicy:
    """Instantiate ``cls(**params)``, turning every problem into a one-line error."""
    label = f"scheduler policy '{cls.name or cls.__name__}'" + (f" ({origin})" if origin else "")
    if inspect.isabstract(cls):
        missing = ", ".join(sorted(getattr(cls, "__abstractmethods__", ())))
        raise SchedulerPluginError(f"{label}: class {cls.__name__} does not implement {missing}")
    _check_keywords(cls, params, label)
    try:
        policy = cls(**params)
    except PolicyParameterError as exc:
        message = f"{label}: {exc}" if origin else str(exc)  # built-ins name themselves
        raise PolicyParameterError(_one_line(message), parameter=exc.parameter) from None
    except Exception as exc:
        problem = f"{label}: its constructor raised {type(exc).__name__}: {exc}"
        raise SchedulerPluginError(_one_line(problem)) from None
    policy.origin = origin
    return policy


def _check_keywords(cls: type[SchedulerPolicy], params: Mapping[str, object], label: str) -> None:
    parameters = list(inspect.signature(cls).parameters.values())
    accepted = [p.name for p in parameters if p.kind in _KEYWORD_KINDS]
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        for key in params:
            if key not in accepted:
                raise PolicyParameterError(
                    f"{label}: unknown policy parameter {key!r} "
                    f"(accepted: {', '.join(accepted) or 'none'})",
                    parameter=key,
                )
    for p in parameters:
        if p.kind in _KEYWORD_KINDS and p.default is p.empty and p.name not in params:
            raise PolicyParameterError(
                f"{label}: missing required policy parameter {p.name!r}", parameter=p.name
            )


def _plugin_class(path: Path, class_name: str, spec: str) -> type[SchedulerPolicy]:
    where = f"scheduler plug-in {spec!r}"
    if not path.is_file():
        raise SchedulerPluginError(f"{where}: file not found: {path}")
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
    stem = re.sub(r"\W", "_", path.stem)
    module_name = f"rthv_sched_plugin_{stem}_{digest}"
    import_spec = importlib.util.spec_from_file_location(module_name, path)
    if import_spec is None or import_spec.loader is None:
        raise SchedulerPluginError(f"{where}: cannot be imported as a Python file: {path}")
    module = importlib.util.module_from_spec(import_spec)
    sys.modules[module_name] = module
    try:
        import_spec.loader.exec_module(module)
    except SyntaxError as exc:
        del sys.modules[module_name]
        problem = f"{where}: syntax error in {path} line {exc.lineno}: {exc.msg}"
        raise SchedulerPluginError(_one_line(problem)) from None
    except (Exception, SystemExit) as exc:
        del sys.modules[module_name]
        problem = f"{where}: importing {path} raised {type(exc).__name__}: {exc}"
        raise SchedulerPluginError(_one_line(problem)) from None
    found: object = getattr(module, class_name, None)
    if found is None:
        policies = sorted(
            n for n, v in vars(module).items() if _is_policy(v) and v.__module__ == module_name
        )
        hint = f" (policies there: {', '.join(policies)})" if policies else ""
        raise SchedulerPluginError(f"{where}: {path} defines no class {class_name!r}{hint}")
    if not (isinstance(found, type) and issubclass(found, SchedulerPolicy)):
        raise SchedulerPluginError(
            f"{where}: {class_name!r} is not a subclass of rthv.hv.scheduling.SchedulerPolicy"
        )
    return found


def _is_policy(value: object) -> bool:
    return isinstance(value, type) and issubclass(value, SchedulerPolicy)


def _one_line(text: str) -> str:
    return " ".join(text.split())
