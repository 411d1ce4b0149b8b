"""Sizes of the property-based runs, a record of the cases they tried, and a small TOML writer.

`make test` runs EXAMPLES examples of each property (a CI-sized count). `make fuzz` sets
RTHV_FUZZ_EXAMPLES (and the guest cases per boot) and RTHV_FUZZ_RECORD: every property then
runs that many random examples, and the cases tried (hypercalls, GICD accesses, configurations)
are added to the JSON file named by RTHV_FUZZ_RECORD as they run, so an interrupted run still
says how far it got.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

FUZZING = "RTHV_FUZZ_EXAMPLES" in os.environ  # else the CI-sized, derandomised count
EXAMPLES = int(os.environ.get("RTHV_FUZZ_EXAMPLES", "25"))
PER_RUN = int(os.environ.get("RTHV_FUZZ_PER_RUN", "40"))  # most guest cases per boot
MIN_PER_RUN = int(os.environ.get("RTHV_FUZZ_MIN_PER_RUN", "1"))
_RECORD = os.environ.get("RTHV_FUZZ_RECORD")
_counts: dict[str, int] = {}


def _recorded() -> dict[str, int]:
    """What earlier runs of this record counted (read once, when this process starts)."""
    path = Path(_RECORD) if _RECORD else None
    if path is None or not path.exists():
        return {}
    data: dict[str, int] = json.loads(path.read_text())
    return data


_earlier = _recorded()


def count_cases(kind: str, count: int) -> None:
    """Note ``count`` more cases of ``kind`` tried (and write the record, if one is kept)."""
    _counts[kind] = _counts.get(kind, 0) + count
    if _RECORD:
        totals = dict(_earlier)
        for name, tried in _counts.items():
            totals[name] = totals.get(name, 0) + tried
        Path(_RECORD).write_text(json.dumps(totals, indent=2, sort_keys=True) + "\n")


def to_toml(data: dict[str, Any]) -> str:
    """``data`` (scalars, tables, arrays of tables) as TOML."""
    return _table(data, ())


def _table(data: dict[str, Any], path: tuple[str, ...]) -> str:
    plain = {k: v for k, v in data.items() if not _is_tables(v) and not isinstance(v, dict)}
    lines = [f"{_key(k)} = {_value(v)}" for k, v in plain.items()]
    text = "\n".join(lines) + ("\n" if lines else "")
    for key, value in data.items():
        if isinstance(value, dict):
            text += f"[{'.'.join(_key(p) for p in (*path, key))}]\n" + _table(value, (*path, key))
        elif _is_tables(value):
            for item in value:
                text += f"[[{'.'.join(_key(p) for p in (*path, key))}]]\n"
                text += _table(item, (*path, key))
    return text


def _is_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no TOML for {value!r}")
