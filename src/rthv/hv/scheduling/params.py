"""Reading scheduling parameters strictly: every error names the parameter, unknown keys fail."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from rthv.hv.scheduling.errors import PolicyParameterError


class ParamReader:
    """Takes typed values out of a parameter mapping; ``finish`` rejects what was not taken."""

    def __init__(self, params: Mapping[str, object], context: str) -> None:
        self._params = params
        self._context = context
        self._taken: set[str] = set()

    def _error(self, key: str, problem: str) -> PolicyParameterError:
        return PolicyParameterError(
            f"{self._context}: {key}: {problem}", parameter=key, problem=problem
        )

    def _missing(self, key: str) -> PolicyParameterError:
        """``key`` is required and absent; a misspelling of it is the better report."""
        unknown = [k for k in self._params if k not in self._taken]
        near = difflib.get_close_matches(key, unknown, n=1, cutoff=0.6)
        if near:
            return self._error(
                near[0], f'unknown parameter of {self._context} (did you mean "{key}"?)'
            )
        return self._error(key, "missing (required)")

    def integer(self, key: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
        """The required integer ``key``, within [minimum, maximum]."""
        value = self.optional_integer(key, minimum=minimum, maximum=maximum)
        if value is None:
            raise self._missing(key)
        return value

    def optional_integer(
        self, key: str, *, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        """The integer ``key`` if present, else None."""
        self._taken.add(key)
        if key not in self._params:
            return None
        return check_integer(
            self._params[key], f"{self._context}: {key}", key, minimum=minimum, maximum=maximum
        )

    def string(self, key: str) -> str:
        """The required string ``key``."""
        self._taken.add(key)
        if key not in self._params:
            raise self._missing(key)
        value = self._params[key]
        if not isinstance(value, str):
            raise self._error(key, f"expected a string, got {value!r}")
        return value

    def finish(self) -> None:
        """Fail on any key that no reader method took."""
        unknown = sorted(set(self._params) - self._taken)
        if unknown:
            accepted = ", ".join(sorted(self._taken)) or "none"
            near = difflib.get_close_matches(unknown[0], sorted(self._taken), n=1, cutoff=0.6)
            hint = f'did you mean "{near[0]}"? ' if near else ""
            problem = f"unknown parameter of {self._context} ({hint}accepted: {accepted})"
            raise PolicyParameterError(
                f"{self._context}: unknown parameter {unknown[0]!r} ({hint}accepted: {accepted})",
                parameter=unknown[0],
                problem=problem,
            )


def check_integer(
    value: object, where: str, key: str, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """``value`` as an int (bools refused) within bounds, else a PolicyParameterError."""
    problem = None
    if isinstance(value, bool) or not isinstance(value, int):
        problem = f"expected an integer, got {value!r}"
    elif minimum is not None and value < minimum:
        problem = f"must be >= {minimum}, got {value}"
    elif maximum is not None and value > maximum:
        problem = f"must be <= {maximum}, got {value}"
    if problem is not None or not isinstance(value, int):
        raise PolicyParameterError(f"{where}: {problem}", parameter=key, problem=problem)
    return value
