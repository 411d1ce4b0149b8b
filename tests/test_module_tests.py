"""Every module of rthv has its own test file, found by one naming rule.

A module ``src/rthv/<...>/<package>/<name>.py`` is tested in ``tests/test_<name>.py`` or in
``tests/test_<package>_<name>.py`` (``sched`` stands for the ``scheduling`` package), e.g.
``board/gic/distributor.py`` in ``test_gic_distributor.py``. A package's ``__init__.py`` only
gathers its modules' names and needs none.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "rthv"
TESTS = ROOT / "tests"
PACKAGE_SHORT = {"scheduling": "sched"}


def wanted_test_files(module: Path) -> set[str]:
    """The names a test file of ``module`` may have."""
    package = PACKAGE_SHORT.get(module.parent.name, module.parent.name)
    return {f"test_{module.stem}.py", f"test_{package}_{module.stem}.py"}


def test_every_module_has_its_own_test_file() -> None:
    """No module of src/rthv without a test file named after it."""
    present = {path.name for path in TESTS.glob("test_*.py")}
    modules = [path for path in SOURCE.rglob("*.py") if path.name != "__init__.py"]
    assert len(modules) > 90  # the rule reads the real tree
    missing = [
        f"{module.relative_to(SOURCE)} (want {' or '.join(sorted(wanted_test_files(module)))})"
        for module in sorted(modules)
        if not wanted_test_files(module) & present
    ]
    assert missing == []


def test_the_rule_accepts_a_package_prefix_and_the_short_scheduling_name() -> None:
    """gic/distributor.py -> test_gic_distributor.py; scheduling/edf.py -> test_sched_edf.py."""
    assert "test_gic_distributor.py" in wanted_test_files(
        SOURCE / "board" / "gic" / "distributor.py"
    )
    assert "test_sched_edf.py" in wanted_test_files(SOURCE / "hv" / "scheduling" / "edf.py")
