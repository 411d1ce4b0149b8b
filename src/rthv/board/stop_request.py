"""Ending board runs from another context (a signal handler, a watchdog) at the next block."""

from __future__ import annotations

from typing import Protocol


class Stoppable(Protocol):
    """What a stop request needs of a machine: ``Machine.request_stop``."""

    def request_stop(self) -> None:
        """End the current run at the next block boundary (safe from a signal handler)."""
        ...


class StopRequest:
    """Ends runs from another context, such as a signal handler, without raising into Unicorn.

    ``request()`` only sets flags: each attached machine stops at its next block boundary and
    its ``run`` returns with ``StopCause.INTERRUPTED``.
    """

    def __init__(self) -> None:
        self.requested = False
        self._machines: list[Stoppable] = []

    def attach(self, machine: Stoppable) -> None:
        """Let ``request`` stop ``machine``; a request made already stops it at once."""
        self._machines.append(machine)
        if self.requested:
            machine.request_stop()

    def request(self) -> None:
        """Ask every attached machine to stop as soon as it can."""
        self.requested = True
        for machine in self._machines:
            machine.request_stop()
