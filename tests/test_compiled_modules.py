"""The trap path's compiled modules: run only while they match their source, with the same
results as the source."""

from __future__ import annotations

import ast
import importlib.machinery
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from rthv import compiled_modules
from rthv.compiled_modules import OPT_OUT, SourceFirst, check, source_hash

ROOT = Path(__file__).resolve().parent.parent
EXTENSION = importlib.machinery.EXTENSION_SUFFIXES[0]


def _build_script() -> ModuleType:
    """compiled/build.py, whose reading of compiled/modules.txt the tests use too."""
    spec = importlib.util.spec_from_file_location("compiled_build", ROOT / "compiled" / "build.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script


BUILD = _build_script()


def _listed() -> list[tuple[str, Path]]:
    """Each module compiled/modules.txt lists: its name and its source."""
    sources: list[Path] = BUILD.listed_sources()
    return [(BUILD.module_name(source), source) for source in sources]


def _package(tmp_path: Path, source: str = "x = 1\n") -> Path:
    """A package ``rthv`` in ``tmp_path`` with one compiled module ``rthv.m``; its record."""
    package = tmp_path / "rthv"
    package.mkdir()
    (package / "m.py").write_text(source)
    (package / f"m{EXTENSION}").write_bytes(b"")
    (package / f"compiled__mypyc{EXTENSION}").write_bytes(b"")  # the shared library
    digest = source_hash(package / "m.py")
    record = package / "compiled_modules.json"
    record.write_text(json.dumps({"group": "rthv.compiled", "modules": {"rthv.m": digest}}))
    return record


def test_a_record_that_matches_every_source_lets_the_compiled_modules_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(OPT_OUT, raising=False)
    assert check(_package(tmp_path)) is None


def test_an_edited_source_missing_extension_or_record_runs_the_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(OPT_OUT, raising=False)
    record = _package(tmp_path)
    (record.parent / "m.py").write_text("x = 2\n")
    assert check(record) == "rthv.m changed since it was compiled (make setup compiles it again)"
    (record.parent / "m.py").write_text("x = 1\n")
    (record.parent / f"m{EXTENSION}").unlink()
    assert check(record) == "rthv.m has no compiled extension (make setup compiles it)"
    (record.parent / f"m{EXTENSION}").write_bytes(b"")
    (record.parent / f"compiled__mypyc{EXTENSION}").unlink()
    assert check(record) == "the compiled modules' shared library rthv.compiled__mypyc is missing"
    record.unlink()
    assert check(record) == "not compiled (make setup compiles them)"
    record.write_text("{")
    assert (check(record) or "").startswith("compiled_modules.json unreadable:")


def test_the_opt_out_runs_the_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(OPT_OUT, "1")
    assert check(_package(tmp_path)) == f"{OPT_OUT} is set"


def test_the_finder_imports_a_module_from_its_source_beside_an_extension(tmp_path: Path) -> None:
    source = _package(tmp_path).parent / "m.py"
    spec = SourceFirst().find_spec("rthv.m", [str(source.parent)])
    assert spec is not None and spec.origin == str(source)
    assert SourceFirst().find_spec("rthv.nothing", [str(source.parent)]) is None
    assert SourceFirst().find_spec("json", None) is None  # not rthv's: the usual finders


def test_make_setup_compiled_every_listed_module_and_they_run() -> None:
    """In the tests, as ``make test`` set them up: every listed module is its extension."""
    assert compiled_modules.STATUS == "compiled"
    for name, _source in _listed():
        module = sys.modules.get(name) or __import__(name, fromlist=["_"])
        assert module.__file__ is not None and module.__file__.endswith(EXTENSION), name


def test_with_the_opt_out_every_listed_module_runs_from_its_source() -> None:
    names = [name for name, _source in _listed()]
    code = f"import importlib; print([importlib.import_module(n).__file__ for n in {names!r}])"
    env = {**os.environ, OPT_OUT: "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    files = ast.literal_eval(out.stdout)
    assert files == [str(source) for _name, source in _listed()]


def test_a_run_compiled_and_the_same_run_from_source_report_the_same(tmp_path: Path) -> None:
    """The paper's system to 20 ms, compiled and from source: the same report and trace."""
    reports = {}
    for mode, extra in (("compiled", {}), ("source", {OPT_OUT: "1"})):
        report, trace = tmp_path / f"{mode}.json", tmp_path / f"{mode}.trace.json"
        command = [sys.executable, "-m", "rthv.tools.cli", "run", "examples/pingpong-vm.toml"]
        command += ["--until", "20ms", "--json", str(report), "--trace", str(trace)]
        env = {k: v for k, v in os.environ.items() if k != OPT_OUT} | extra
        subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)
        reports[mode] = (json.loads(report.read_text()), trace.read_bytes())
    compiled, source = reports["compiled"], reports["source"]
    assert compiled[0]["vms"] and compiled[1]  # (something ran, and was traced)
    assert compiled == source


def test_no_compiled_module_raises_from_a_cause() -> None:
    """Compiled code ignores ``raise ... from``: the cause is set by hand there instead."""
    found = [
        f"{source.name}:{node.lineno}"
        for _name, source in _listed()
        for node in ast.walk(ast.parse(source.read_text()))
        if isinstance(node, ast.Raise) and node.cause is not None
    ]
    assert found == []


def _is_final(annotation: ast.expr | None) -> bool:
    target = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    return isinstance(target, ast.Name) and target.id == "Final"


def test_every_module_constant_of_a_compiled_module_is_final() -> None:
    """A constant without ``Final`` is looked up in the module's dict at each use in compiled
    code; with it, an int is a C literal and anything else a C static. (Names in capitals.)"""
    found: list[str] = []
    for _name, source in _listed():
        for node in ast.parse(source.read_text()).body:
            if isinstance(node, ast.Assign):
                names, annotation = node.targets, None
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                names, annotation = [node.target], node.annotation
            else:
                continue
            found += [
                f"{source.name}:{node.lineno} {target.id}"
                for target in names
                if isinstance(target, ast.Name) and target.id.lstrip("_").isupper()
                if not _is_final(annotation)
            ]
    assert found == []
