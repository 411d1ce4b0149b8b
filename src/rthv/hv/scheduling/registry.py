"""Finding a policy by name: the built-ins, or a user's own ``file.py:ClassName`` plug-in.

A policy spec is either a built-in name (``BUILTIN_POLICIES``, the one list of them) or
``path/to/file.py:ClassName``, the path relative to ``base_dir`` (the folder of the system config
file). ``parse_policy_spec`` reads it once into a ``PolicySpec``; the configuration keeps that.
The class must be a ``SchedulerPolicy`` subclass. Policy-level parameters are passed to its
constructor as keyword arguments, so a policy declares them as keyword-only ``__init__``
parameters with defaults where they are optional (e.g. ``RoundRobinPolicy(quantum_us=500)``).
Every loading problem raises a ``SchedulerPluginError`` (or ``PolicyParameterError`` for
parameters) with a one-line message.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
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


@dataclass(frozen=True)
class PolicySpec:
    """A parsed policy spec: a built-in name, or a plug-in's file and class name."""

    written: str  # as the user wrote it: the label of every message about it
    file: Path | None = None
    class_name: str = ""

    @property
    def builtin(self) -> bool:
        """True for one of ``BUILTIN_POLICIES``."""
        return self.file is None

    def __str__(self) -> str:
        return self.written

    def resolved(self) -> str:
        """The spec with an absolute file path: means the same from any folder."""
        return self.written if self.file is None else f"{self.file.absolute()}:{self.class_name}"


def parse_policy_spec(spec: str, *, base_dir: Path) -> PolicySpec:
    """Parse ``spec`` once: a built-in name, or an existing ``file.py:ClassName`` under
    ``base_dir``."""
    if spec in BUILTIN_POLICIES:
        return PolicySpec(spec)
    file_part, colon, class_name = spec.rpartition(":")
    if not colon or not file_part.endswith(".py") or not class_name.isidentifier():
        names = ", ".join(BUILTIN_POLICIES)
        raise SchedulerPluginError(
            f"unknown scheduler policy {spec!r}: use a built-in ({names}) "
            "or a plug-in as path/to/file.py:ClassName"
        )
    path = base_dir / file_part
    if not path.is_file():
        raise SchedulerPluginError(f"scheduler plug-in {spec!r}: file not found: {path}")
    return PolicySpec(spec, path, class_name)


def load_policy(
    spec: str | PolicySpec,
    *,
    base_dir: Path | None = None,
    params: Mapping[str, object] | None = None,
) -> SchedulerPolicy:
    """Build the policy named by ``spec`` with policy-level keyword ``params``; a spec still
    written as text is parsed first, relative to ``base_dir``."""
    if isinstance(spec, str):
        if base_dir is None:
            raise TypeError("a policy spec given as text needs base_dir")
        spec = parse_policy_spec(spec, base_dir=base_dir)
    return construct_policy(resolve_policy(spec), params or {}, spec)


def resolve_policy(spec: PolicySpec) -> type[SchedulerPolicy]:
    """The policy class ``spec`` names (a plug-in's file is imported)."""
    if spec.file is None:
        return BUILTIN_POLICIES[spec.written]
    return _plugin_class(spec.file, spec.class_name, spec.written)


def construct_policy(
    cls: type[SchedulerPolicy], params: Mapping[str, object], spec: PolicySpec
) -> SchedulerPolicy:
    """Instantiate ``cls(**params)``, turning every problem into a one-line error."""
    origin = None if spec.builtin else spec.written
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
