"""Host-side guards of a run: Ctrl-C outside a policy callback only asks the run to stop, and
errors are located in the policy's own file rather than in rthv."""

from __future__ import annotations

import os
import signal
import sys

from rthv.board.stop_request import StopRequest
from rthv.hv.config.fields import whole_number
from rthv.tools.watchdog import PolicyWatchdog, policy_location, raised_at


def _policy_code() -> None:
    raise RuntimeError("the policy's own bug")


def test_an_error_is_located_in_the_code_outside_rthv() -> None:
    """Raised in this file: its line; raised inside rthv on a call from here: the call."""
    try:
        _policy_code()
    except RuntimeError as error:
        assert raised_at(error) == f"test_watchdog.py:{_policy_code.__code__.co_firstlineno + 1}"
    try:
        whole_number("x", "a number")  # raised in rthv, called from here: this line wins
    except ValueError as error:
        assert raised_at(error) == f"test_watchdog.py:{sys._getframe().f_lineno - 2}"
    assert policy_location(sys._getframe()).startswith("test_watchdog.py:")


def test_ctrl_c_outside_a_callback_requests_a_stop_and_uninstall_restores() -> None:
    """No exception is raised into ordinary code; the previous SIGINT handler comes back."""
    previous = signal.getsignal(signal.SIGINT)
    stop = StopRequest()
    watchdog = PolicyWatchdog(stop, budget_s=60.0)
    watchdog.install()
    try:
        os.kill(os.getpid(), signal.SIGINT)
        assert stop.requested
    finally:
        watchdog.uninstall()
    assert signal.getsignal(signal.SIGINT) is previous
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
