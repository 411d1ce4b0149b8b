"""Tests marked ``interpreted`` run on the Python source of the compiled modules.

Such a test replaces a method or attribute of a compiled module's class (to count calls, or
to turn a shortcut off and compare), which a compiled class does not allow, and which the
compiled modules' calls to one another would not see. When the compiled modules are in use
(``rthv.compiled_modules.STATUS``), the first such test runs all of them in one child pytest
with ``RTHV_INTERPRETED=1``, and each then reports its own outcome there.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rthv import compiled_modules

ROOT = Path(__file__).resolve().parent.parent
CHILD_TIMEOUT_S = 900  # the marked tests take about ten seconds together
_outcomes: dict[str, str] = {}  # node ID -> "PASSED", "FAILED", ... in the child
_child_output: list[str] = []


def _run_marked_in_child(items: list[pytest.Item]) -> None:
    marked = [item.nodeid for item in items if item.get_closest_marker("interpreted")]
    env = {**os.environ, compiled_modules.OPT_OUT: "1"}
    command = [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", *marked]
    try:
        child = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S
        )
    except subprocess.TimeoutExpired as expired:  # (the child is killed: none reports PASSED)
        _child_output.append(f"the child pytest ran over {CHILD_TIMEOUT_S} s: {expired}")
        return
    _child_output.append(child.stdout + child.stderr)
    for line in child.stdout.splitlines():
        outcome, _, node = line.partition(" ")
        if outcome in ("PASSED", "FAILED", "ERROR", "SKIPPED", "XFAIL", "XPASS"):
            _outcomes[node.split(" - ", 1)[0]] = outcome


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if pyfuncitem.get_closest_marker("interpreted") is None:
        return None
    if compiled_modules.STATUS != "compiled":
        return None  # the source is what runs here: the test runs as any other
    if not _child_output:
        _run_marked_in_child(pyfuncitem.session.items)
    outcome = _outcomes.get(pyfuncitem.nodeid)
    if outcome != "PASSED":
        pytest.fail(
            f"on the Python source, in a child pytest: {outcome or 'not run'}\n"
            + _child_output[0][-6000:],
            pytrace=False,
        )
    return True
