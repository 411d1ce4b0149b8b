"""Typing into a VM: ``rthv run --console VM`` (this terminal) and ``--input VM:FILE`` (a file).

``--input`` is deterministic: the file's bytes go to the VM's console UART as its driver listens
and reads (``Pl011Uart.feed``), so two runs with the same file are identical.

``--console`` puts the terminal in raw mode and forwards each key to the VM's console UART as it
is typed; that VM's output is written as it comes, the other VMs' as prefixed lines. Ctrl-]
leaves (the run ends as if interrupted). A person types in host time, so virtual time is paced
not to run ahead of the host clock: an idle VM waits for its user as real hardware would. The
pacing decides only when keys arrive, never what a VM computes from them.
"""

from __future__ import annotations

import os
import select
import sys
import termios
import time
import tty
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

from rthv.board.pl011 import Pl011Uart
from rthv.board.run_result import RunResult, StopCause
from rthv.hv.hypervisor import Hypervisor

ESCAPE = 0x1D  # Ctrl-]
ESCAPE_NAME = "Ctrl-]"
STEP_NS = 10_000_000  # virtual time run between two looks at the keyboard
IDLE_LOOK_S = 0.05  # host time between two looks at the keyboard while nothing else can happen
_NS_PER_S = 1_000_000_000


class InputError(ValueError):
    """A bad ``--input`` or ``--console`` argument."""


def console_uart(hv: Hypervisor, vm: str) -> Pl011Uart:
    """The console UART of VM ``vm``."""
    found = hv.vms.get(vm)
    if found is None:
        raise InputError(f"no VM {vm!r}: the system has {', '.join(hv.vms)}")
    if found.config.console is None:
        raise InputError(f'vm "{vm}" has no console UART to type into')
    return hv.machine.uart(found.config.console)


def parse_input(spec: str) -> tuple[str, bytes]:
    """``VM:FILE`` -> (VM name, the file's bytes)."""
    vm, colon, path = spec.partition(":")
    if not colon or not vm or not path:
        raise InputError(f"--input {spec!r}: write it as VM:FILE")
    try:
        return vm, Path(path).read_bytes()
    except OSError as error:
        raise InputError(f"--input {spec!r}: cannot read {path}: {error.strerror}") from None


def feed_inputs(hv: Hypervisor, inputs: list[tuple[str, bytes]]) -> None:
    """Queue each file for its VM's console UART."""
    for vm, data in inputs:
        console_uart(hv, vm).feed(data)


@contextmanager
def raw_terminal(fd: int) -> Iterator[None]:
    """The terminal on ``fd`` in raw mode (no echo, no line editing, no signals) meanwhile."""
    if not os.isatty(fd):
        yield
        return
    saved = termios.tcgetattr(fd)
    try:
        tty.setraw(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def keys_ready(keys: int, wait: float) -> bool:
    """Whether a key can be read from ``keys`` within ``wait`` seconds of host time."""
    ready, _, _ = select.select([keys], [], [], wait)
    return bool(ready)


def run_with_terminal(
    hv: Hypervisor,
    vm: str,
    until_ns: Fraction | None,
    keys: int,
    *,
    clock: Callable[[], float] = time.monotonic,
    ready: Callable[[int, float], bool] = keys_ready,
) -> RunResult:
    """Run with the keyboard on ``keys`` (a file descriptor) typing into ``vm``'s UART.

    Once the system is idle for good (every VM waits and nothing but a key can wake one), the
    loop waits for a key a while at a time, virtual time standing still, and paces the run
    from there when one comes."""
    uart = console_uart(hv, vm)
    started, start_ns = clock(), hv.machine.clock.to_ns(hv.machine.clock.now())
    while True:
        now_ns = hv.machine.clock.to_ns(hv.machine.clock.now())
        target = now_ns + STEP_NS if until_ns is None else min(until_ns, now_ns + STEP_NS)
        result = hv.run(target)
        if result.cause in (StopCause.INTERRUPTED, StopCause.LOCKUP):
            return result
        result_ns = hv.machine.clock.to_ns(result.cycles)
        done = until_ns is not None and result_ns >= until_ns
        if done or hv.vms[vm].stopped:
            return result
        if result.cause is StopCause.IDLE:
            started, start_ns = clock(), result_ns
            wait = IDLE_LOOK_S
        else:
            ahead = float(result_ns - start_ns) / _NS_PER_S
            wait = max(0.0, ahead - (clock() - started))
        if not ready(keys, wait):
            continue
        data = os.read(keys, 1024)
        if not data or ESCAPE in data:
            uart.inject(data.split(bytes((ESCAPE,)))[0])
            hv.machine.request_stop()
            return hv.run(None)  # ends at once: INTERRUPTED
        uart.inject(data)


class TerminalSink:
    """Console output during ``--console``: that VM's bytes raw, the others' as lines."""

    def __init__(self, vm: str, out: BinaryIO | None = None) -> None:
        self.vm = vm
        self._out = out or sys.stdout.buffer
        self._partial: dict[str, bytes] = {}
        self.text: dict[str, bytes] = {}

    def __call__(self, source: str, data: bytes) -> None:
        self.text[source] = self.text.get(source, b"") + data
        if source == self.vm:
            self._out.write(data)
        else:
            *lines, rest = (self._partial.get(source, b"") + data).split(b"\n")
            for line in lines:
                self._out.write(b"\r\n[" + source.encode() + b"] " + line.rstrip(b"\r") + b"\r\n")
            self._partial[source] = rest
        self._out.flush()
