"""Which of rthv's modules run compiled, and their Python source when the build does not match.

``make setup`` compiles the trap path's modules with mypyc (compiled/modules.txt): each becomes
a C extension beside its source, which Python's import prefers. Their source stays the only
source, so a compiled module must be exactly its ``.py``: the build records each source's
SHA-256 in ``compiled_modules.json``, and at ``import rthv`` this module checks them. The
compiled modules run only while every one of them matches (they call one another as C, so
all or none); otherwise, after an edit or a failed build, every one runs from its source, which
gives the same results, only slower. ``RTHV_INTERPRETED=1`` asks for the source too (for a
profiler or a debugger that must see Python frames). ``STATUS`` says which it is.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

PACKAGE = Path(__file__).resolve().parent
RECORD = PACKAGE / "compiled_modules.json"
OPT_OUT = "RTHV_INTERPRETED"


def source_hash(source: Path) -> str:
    """What the record keeps of a module's source, and what it is checked against: the
    SHA-256 of its bytes (``compiled/build.py`` writes the record)."""
    return hashlib.sha256(source.read_bytes()).hexdigest()


def _source_of(module: str, package: Path = PACKAGE) -> Path:
    return package.parent.joinpath(*module.split(".")).with_suffix(".py")


def _has_extension(source: Path) -> bool:
    return any(
        source.with_suffix(suffix).exists() for suffix in importlib.machinery.EXTENSION_SUFFIXES
    )


def check(record: Path = RECORD) -> str | None:
    """None if the compiled modules may run; else why their sources must."""
    if os.environ.get(OPT_OUT):
        return f"{OPT_OUT} is set"
    try:
        built = json.loads(record.read_text())
        group, listed = str(built["group"]), built["modules"]
    except FileNotFoundError:
        return "not compiled (make setup compiles them)"
    except (ValueError, KeyError, TypeError) as error:
        return f"{record.name} unreadable: {error}"
    package = record.parent
    if not _has_extension(_source_of(f"{group}__mypyc", package)):
        return f"the compiled modules' shared library {group}__mypyc is missing"
    for module, digest in listed.items():
        source = _source_of(module, package)
        try:
            if source_hash(source) != digest:
                return f"{module} changed since it was compiled (make setup compiles it again)"
        except OSError as error:
            return f"{module}: {error}"
        if not _has_extension(source):
            return f"{module} has no compiled extension (make setup compiles it)"
    return None


class SourceFirst:
    """Imports each of rthv's modules from its ``.py``, even where an extension is beside it (a
    meta path finder; not an ``importlib.abc.MetaPathFinder``, whose import costs ``rthv
    --help`` 15 ms)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if not fullname.startswith("rthv.") or not path:
            return None
        name = fullname.rpartition(".")[2]
        for folder in path:
            source = Path(folder, name + ".py")
            if source.is_file():
                return importlib.util.spec_from_file_location(fullname, source)
        return None  # a package, or a C extension with no source: the usual finders


def use_sources_unless_compiled() -> str:
    """At ``import rthv``: put ``SourceFirst`` first unless the compiled modules may run.
    Returns what runs: "compiled" or "interpreted: <why>"."""
    why = check()
    if why is None:
        return "compiled"
    if not any(isinstance(finder, SourceFirst) for finder in sys.meta_path):
        sys.meta_path.insert(0, SourceFirst())
    return f"interpreted: {why}"


STATUS = use_sources_unless_compiled()
