"""rthv's pytest plugin: the ``rthv_system`` fixture, found through the entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

TWO_RTOS = Path(__file__).resolve().parents[1] / "examples" / "two-rtos.toml"


def test_the_fixture_loads_systems_and_a_failure_shows_their_consoles(
    pytester: pytest.Pytester,
) -> None:
    """A passing and a failing user test; the failure's report holds each VM's console tail."""
    pytester.makepyfile(
        test_user=f"""
        def test_passes(rthv_system):
            system = rthv_system({str(TWO_RTOS)!r})
            system.vm("rtos-a").console.expect("PASS", within="5ms")

        def test_fails(rthv_system):
            system = rthv_system({str(TWO_RTOS)!r})
            system.run(until="2ms")
            assert system.vm("rtos-b").fault == "something"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*- rthv system 1 -*",
            f"{TWO_RTOS} at 2 ms of virtual time",
            "[[]rtos-a[]] running; last * console lines:",
            "  | PASS *",
        ]
    )


def test_a_relative_path_is_found_beside_the_test_file(pytester: pytest.Pytester) -> None:
    """``rthv_system("x.toml")`` looks in the test's own folder first."""
    folder = pytester.mkdir("user_tests")
    (folder / "system.toml").write_text(
        TWO_RTOS.read_text().replace("../guests", str(TWO_RTOS.parents[1] / "guests"))
    )
    (folder / "test_user.py").write_text(
        "def test_beside(rthv_system):\n"
        '    assert [vm.name for vm in rthv_system("system.toml").vms] == ["rtos-a", "rtos-b"]\n'
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "user_tests")
    result.assert_outcomes(passed=1)
