"""Host-side guards around a user's scheduling policy: Ctrl-C reaches a policy callback that
never returns, and a callback budget in host time ends one that runs too long.

Both work from signal handlers, which Python runs between bytecodes of whatever code is
executing: if that is a policy callback (a frame of the scheduler's guarded call is on the
stack), the handler raises there. Elsewhere Ctrl-C only asks the run to stop, as before.
"""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType, TracebackType

from rthv.board.stop_request import StopRequest

_RTHV = Path(__file__).resolve().parents[1]  # the rthv package
_SCHEDULING = _RTHV / "hv" / "scheduling"
# The scheduler's wrappers of every policy callback (rthv.hv.scheduling.guard, never compiled:
# a compiled function has no Python frame): ``guarded`` and ``notify`` (``enque``, ``yield_``,
# ``remove``).
_GUARDED_CALLS = ("guarded", "notify")
SIGHTINGS = 3  # the same callback seen at this many alarms, budget/2 apart: over budget


class CallbackInterrupted(KeyboardInterrupt):
    """Ctrl-C while a policy callback ran; says which callback and where."""


class CallbackTimeout(Exception):
    """A policy callback ran longer than its host-time budget."""


def _callback_on_stack(frame: FrameType | None) -> tuple[str, FrameType] | None:
    """(callback label, its guarded-call frame) if a policy callback is running."""
    while frame is not None:
        code = frame.f_code
        if code.co_name in _GUARDED_CALLS and Path(code.co_filename).parent == _SCHEDULING:
            label = frame.f_locals.get("label")
            return (label if isinstance(label, str) else "a callback"), frame
        frame = frame.f_back
    return None


def policy_location(frame: FrameType | None) -> str:
    """``file:line`` of the innermost frame outside rthv (the policy's own code), if any."""
    innermost = frame
    while frame is not None:
        if not Path(frame.f_code.co_filename).resolve().is_relative_to(_RTHV):
            return f"{Path(frame.f_code.co_filename).name}:{frame.f_lineno}"
        frame = frame.f_back
    if innermost is None:
        return "?"
    return f"{Path(innermost.f_code.co_filename).name}:{innermost.f_lineno}"


def raised_at(error: BaseException) -> str | None:
    """``file:line`` where ``error`` was raised, preferring code outside rthv (a plug-in)."""
    tb: TracebackType | None = error.__traceback__
    last: str | None = None
    outside: str | None = None
    while tb is not None:
        where = f"{Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}"
        last = where
        if not Path(tb.tb_frame.f_code.co_filename).resolve().is_relative_to(_RTHV):
            outside = where
        tb = tb.tb_next
    return outside or last


class PolicyWatchdog:
    """Installs SIGINT and SIGALRM handlers for one run; ``uninstall`` puts the old ones back."""

    def __init__(self, stop: StopRequest, budget_s: float) -> None:
        self._stop = stop
        self._budget = budget_s
        self._seen: FrameType | None = None
        self._sightings = 0
        self._previous: list[object] = []

    def install(self) -> None:
        """Take over Ctrl-C and start the periodic check of the callback budget."""
        self._previous = [
            signal.signal(signal.SIGINT, self._on_interrupt),
            signal.signal(signal.SIGALRM, self._on_alarm),
        ]
        period = self._budget / (SIGHTINGS - 1)
        signal.setitimer(signal.ITIMER_REAL, period, period)

    def uninstall(self) -> None:
        """Stop the timer and restore the previous handlers."""
        signal.setitimer(signal.ITIMER_REAL, 0)
        if self._previous:
            signal.signal(signal.SIGINT, self._previous[0])  # type: ignore[arg-type]
            signal.signal(signal.SIGALRM, self._previous[1])  # type: ignore[arg-type]

    def _on_interrupt(self, _signum: int, frame: FrameType | None) -> None:
        self._stop.request()
        running = _callback_on_stack(frame)
        if running is not None:
            label, _ = running
            raise CallbackInterrupted(
                f"interrupted in the scheduling policy's {label} at {policy_location(frame)}"
            )

    def _on_alarm(self, _signum: int, frame: FrameType | None) -> None:
        running = _callback_on_stack(frame)
        if running is None:
            self._seen, self._sightings = None, 0
            return
        label, call = running
        if call is not self._seen:
            self._seen, self._sightings = call, 1
            return
        self._sightings += 1
        if self._sightings >= SIGHTINGS:
            self._seen, self._sightings = None, 0
            raise CallbackTimeout(
                f"{label} ran for more than {self._budget:g} s of host time, at "
                f"{policy_location(frame)} (the callback budget, --callback-budget)"
            )
