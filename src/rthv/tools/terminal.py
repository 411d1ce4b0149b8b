"""What ``rthv run`` shows on a terminal: coloured per-VM prefixes and a virtual-time progress bar.

Both are presentation only: colours are off when the output is not a terminal, and the progress
bar splits the run into pieces of virtual time, which changes nothing simulated (a run to T and
on from T is the same run).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from fractions import Fraction
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from rich.text import Text

from rthv.board.run_result import RunResult, StopCause
from rthv.tools.duration import format_ns

PALETTE = ("cyan", "magenta", "green", "yellow", "blue", "red")
HYPERVISOR_STYLE = "bold"
PROGRESS_AFTER_S = 1.0  # host seconds before the bar appears: short runs never show one
STEPS = 200  # pieces of virtual time a run with a known end is split into
OPEN_STEP_NS = Fraction(10_000_000)  # the piece for a run without an end: 10 ms


class ConsoleView:
    """Prints console lines as ``[source] text``, each source's prefix in its own colour."""

    def __init__(self, stream: TextIO | None = None, *, colour: bool | None = None) -> None:
        self.console = Console(
            file=stream,
            force_terminal=colour,
            no_color=colour is False,
            highlight=False,
            markup=False,
            emoji=False,
            soft_wrap=True,
        )
        self._styles: dict[str, str] = {}

    @property
    def is_terminal(self) -> bool:
        """Whether the output goes to a terminal (colours on, progress bar possible)."""
        return self.console.is_terminal

    def line(self, source: str, text: str) -> None:
        """One console line of ``source`` (a VM, or ``rthv`` for the hypervisor)."""
        self.console.print(Text.assemble((f"[{source}]", self._style(source)), " ", text))

    def _style(self, source: str) -> str:
        if source == "rthv":
            return HYPERVISOR_STYLE
        if source not in self._styles:
            self._styles[source] = PALETTE[len(self._styles) % len(PALETTE)]
        return self._styles[source]


def run_with_progress(
    run: Callable[[Fraction | None], RunResult],
    now_ns: Callable[[], Fraction],
    until_ns: Fraction | None,
    view: ConsoleView,
    clock: Callable[[], float] = time.monotonic,
) -> RunResult:
    """Run in pieces of virtual time; after a second of host time, show a bar in virtual time.

    ``run(t)`` runs the system to virtual time ``t``; without a terminal the run is one piece.
    """
    if not view.is_terminal:
        return run(until_ns)
    step = until_ns / STEPS if until_ns is not None else OPEN_STEP_NS
    started = clock()
    progress: Progress | None = None
    task = None
    try:
        while True:
            target = now_ns() + step
            if until_ns is not None:
                target = min(target, until_ns)
            result = run(target)
            done = result.cause is not StopCause.UNTIL or (
                until_ns is not None and now_ns() >= until_ns
            )
            if done:
                return result
            if progress is None and clock() - started > PROGRESS_AFTER_S:
                progress = _bar(view)
                progress.start()
                task = progress.add_task("", total=_ms(until_ns))
            if progress is not None and task is not None:
                end = f" of {format_ns(until_ns)}" if until_ns is not None else ""
                progress.update(
                    task, completed=_ms(now_ns()), description=format_ns(now_ns()) + end
                )
    finally:
        if progress is not None:
            progress.stop()


def _ms(ns: Fraction | None) -> float | None:
    return None if ns is None else float(ns) / 1e6


def _bar(view: ConsoleView) -> Progress:
    return Progress(
        TextColumn("[rthv] virtual time", markup=False),
        BarColumn(),
        TextColumn("{task.description}", markup=False),
        console=view.console,
        transient=True,
    )
