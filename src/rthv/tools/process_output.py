"""Reading what a peer process (QEMU, or rthv itself) prints, until enough has arrived.

The benchmarks and the QEMU cross-checks all start a process, read its console as it comes, and
stop once a marker is there: ``read_until`` is that loop, once, and ``qemu_command`` the QEMU
command line they share.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

QEMU_DETERMINISTIC = ("-icount", "shift=0,sleep=off")  # one instruction = one ns, no host sleep


def qemu_command(image: Path, *extra: str, machine: str = "vexpress-a15") -> list[str]:
    """QEMU's ``machine`` running ``image`` with its console on stdout (host time unless
    ``extra`` says otherwise, e.g. ``-icount shift=0,sleep=off``)."""
    return [
        "qemu-system-arm", "-M", machine, "-m", "128M", "-nographic",
        "-monitor", "none", "-serial", "stdio", "-kernel", str(image), *extra,
    ]  # fmt: skip


def read_until(
    process: subprocess.Popen[bytes],
    done: Callable[[bytes], bool],
    seconds: float,
    on_output: Callable[[bytes], None] | None = None,
) -> bytes:
    """What ``process`` prints until ``done(output)`` holds, it closes its output, or
    ``seconds`` pass. ``on_output`` sees everything read so far after each chunk."""
    assert process.stdout is not None
    output = b""
    deadline = time.monotonic() + seconds
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while not done(output) and time.monotonic() < deadline:
            if not selector.select(timeout=0.5):
                continue
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                break
            output += chunk
            if on_output is not None:
                on_output(output)
    return output
