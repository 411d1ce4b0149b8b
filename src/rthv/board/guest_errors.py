"""Guest errors: accesses a device model does not implement, reported instead of answered in
silence.

A real PL011 or SP804 has registers rthv does not model (test registers, reserved offsets), and
a driver under development often touches the wrong offset. Either way the model answers as the
hardware documents for reserved space (reads 0, writes ignored) and says so: the device builds a
``GuestError`` and hands it to the sink the board wired, and the board's ``GuestErrorLog`` counts
it per register and passes it on to whoever listens (the hypervisor, or ``rthv run-bare``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

Access = Literal["read", "write"]
IN_FULL = 3  # guest errors (and the hypervisor's ignored accesses) said in full per register


@dataclass(frozen=True)
class GuestError:
    """One access a device model does not implement: which device, where, and why."""

    device: str
    access: Access
    offset: int
    size: int
    why: str  # e.g. "no such register", "read-only register", "unaligned"
    core: str = ""  # the execution context that made it (a VM's name under the hypervisor)

    @property
    def register(self) -> str:
        """The register's name for counting, e.g. ``uart0+0x080``."""
        return f"{self.device}+{self.offset & ~3:#05x}"

    def describe(self) -> str:
        """One line for a person: the access, the register and what the model did."""
        answer = "read as 0" if self.access == "read" else "ignored"
        where = f"{self.device}+{self.offset:#05x}"
        return f"{self.size}-byte {self.access} at {where} ({self.why}, {answer})"


GuestErrorSink = Callable[[GuestError], None]
GuestErrorObserver = Callable[[GuestError, int], None]  # the error and how often its register erred


def ignore_guest_errors(_error: GuestError) -> None:
    """A sink for a device built outside a board (unit tests); a board wires a real one."""


class GuestErrorLog:
    """Every guest error, counted per core and register, and passed on to each observer."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = {}  # (core, register) -> errors
        self.observers: list[GuestErrorObserver] = []

    def sink(self, core: Callable[[], str]) -> GuestErrorSink:
        """A sink for devices that stamps each error with the context ``core()`` names."""
        return lambda error: self.note(replace(error, core=core()))

    def note(self, error: GuestError) -> None:
        """Count ``error`` and tell every observer."""
        key = (error.core, error.register)
        seen = self.counts[key] = self.counts.get(key, 0) + 1
        for observer in self.observers:
            observer(error, seen)

    @property
    def total(self) -> int:
        """Guest errors so far, all registers."""
        return sum(self.counts.values())

    def by_register(self) -> dict[str, int]:
        """Guest errors per register, all cores together."""
        result: dict[str, int] = {}
        for (_core, register), count in self.counts.items():
            result[register] = result.get(register, 0) + count
        return result


def only_counted(register: str) -> str:
    """The note that ends the last line said in full for ``register``."""
    return f" (more at {register} are only counted)"


def first_lines(say: Callable[[str], None], prefix: str = "") -> GuestErrorObserver:
    """An observer that says the first ``IN_FULL`` errors of each register and then goes quiet
    (the counts stay in the log for the summary)."""

    def observe(error: GuestError, seen: int) -> None:
        if seen > IN_FULL:
            return
        line = f"{prefix}{error.describe()}"
        if seen == IN_FULL:
            line += only_counted(error.register)
        say(line)

    return observe
