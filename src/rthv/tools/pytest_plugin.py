"""rthv's pytest plugin (registered as an entry point): the ``rthv_system`` fixture factory.

    def test_selftest_passes(rthv_system):
        system = rthv_system("examples/two-rtos.toml")
        system.vm("rtos-a").console.expect(r"selftest: \\d+ passed, 0 failed", within="600ms")

A relative path is taken from the test file's folder first, then from the current directory.
When a test fails, its report gets a section per system with the virtual time, each VM's fault
(if any) and the last lines of each console.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from rthv.tools.api import System

TAIL_LINES = 15
SystemFactory = Callable[..., "System"]
_SYSTEMS = pytest.StashKey[list["System"]]()


@pytest.fixture
def rthv_system(request: pytest.FixtureRequest) -> Iterator[SystemFactory]:
    """A factory: ``rthv_system(path, native_counter=None)`` loads and boots a system."""
    from rthv.tools.api import load

    systems: list[System] = []
    request.node.stash[_SYSTEMS] = systems
    folder = Path(str(request.node.path)).parent

    def factory(path: str | Path, *, native_counter: bool | None = None) -> System:
        candidate = Path(path)
        if not candidate.is_absolute() and (folder / candidate).is_file():
            candidate = folder / candidate
        system = load(candidate, native_counter=native_counter)
        systems.append(system)
        return system

    yield factory


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, None]:
    """On failure, add what each system of the test showed to the report."""
    outcome = yield
    report = outcome.get_result()
    systems = item.stash.get(_SYSTEMS, [])
    if report.failed and systems:
        for index, system in enumerate(systems):
            report.sections.append((f"rthv system {index + 1}", describe(system)))


def describe(system: System) -> str:
    """A system's state for a failure report: time, faults, and each console's last lines."""
    from rthv.tools.duration import format_ns

    lines = [f"{system.path} at {format_ns(system.now_ns)} of virtual time"]
    for vm in system.vms:
        text = vm.console.text.splitlines()[-TAIL_LINES:]
        lines.append(f"[{vm.name}] {vm.fault or 'running'}; last {len(text)} console lines:")
        lines += [f"  | {line}" for line in text]
    if system.hypervisor_console:
        lines.append("[rthv] " + system.hypervisor_console.rstrip().replace("\n", "\n[rthv] "))
    return "\n".join(lines)
