"""The terminal view of ``rthv run``: coloured prefixes, and a progress bar in virtual time."""

from __future__ import annotations

import io
from fractions import Fraction

from rthv.board.run_result import RunResult, StopCause
from rthv.tools.terminal import PROGRESS_AFTER_S, ConsoleView, run_with_progress

ESC = "\x1b["


def test_without_a_terminal_lines_are_plain_text() -> None:
    """Piped output: ``[source] text`` and nothing else, no escape sequences."""
    out = io.StringIO()
    view = ConsoleView(out)
    view.line("rtos-a", "usermain [1] started")  # brackets in the text stay text
    view.line("rthv", "summary")
    assert out.getvalue() == "[rtos-a] usermain [1] started\n[rthv] summary\n"
    assert not view.is_terminal


def test_on_a_terminal_each_source_has_its_own_colour() -> None:
    """Two VMs get two colours, kept line after line; the hypervisor's prefix is bold."""
    out = io.StringIO()
    view = ConsoleView(out, colour=True)
    for source in ("a", "b", "a", "rthv"):
        view.line(source, "x")
    lines = out.getvalue().splitlines()
    prefixes = [line.split("[")[1] for line in lines]  # the escape before each prefix
    assert all(ESC in line for line in lines)
    assert prefixes[0] == prefixes[2] != prefixes[1]
    assert lines[3].startswith(f"{ESC}1m[rthv]")


class _FakeSystem:
    """Virtual time advanced by ``run``; host time by 0.3 s per piece."""

    def __init__(self) -> None:
        self.now = Fraction(0)
        self.host = 0.0
        self.targets: list[Fraction | None] = []

    def run(self, target: Fraction | None) -> RunResult:
        self.targets.append(target)
        self.host += 0.3
        self.now = target if target is not None else self.now
        return RunResult(StopCause.UNTIL, int(self.now), 0, 0)


def test_without_a_terminal_the_run_is_one_piece() -> None:
    """No terminal, no pieces: the system is asked once for the whole run."""
    system = _FakeSystem()
    view = ConsoleView(io.StringIO())
    run_with_progress(system.run, lambda: system.now, Fraction(10**9), view, lambda: system.host)
    assert system.targets == [10**9]


def test_on_a_terminal_a_long_run_goes_in_pieces_and_shows_a_bar_in_virtual_time() -> None:
    """200 pieces to exactly the end; the bar appears once a second of host time has passed."""
    system = _FakeSystem()
    out = io.StringIO()
    view = ConsoleView(out, colour=True)
    result = run_with_progress(
        system.run, lambda: system.now, Fraction(10**9), view, lambda: system.host
    )
    assert len(system.targets) == 200 and system.targets[-1] == 10**9
    assert result.cycles == 10**9
    assert "virtual time" in out.getvalue() and "of 1 s" in out.getvalue()
    assert PROGRESS_AFTER_S < 0.3 * 200


def test_a_short_run_shows_no_bar() -> None:
    """Finished within a second of host time: nothing but the run's own output."""
    system = _FakeSystem()
    out = io.StringIO()
    view = ConsoleView(out, colour=True)
    run_with_progress(system.run, lambda: system.now, Fraction(3), view, lambda: 0.0)
    assert out.getvalue() == ""
