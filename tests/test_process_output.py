"""Reading a peer process's output until enough has arrived: the loop the benchmarks and the
QEMU cross-checks share."""

from __future__ import annotations

import subprocess
import sys
from itertools import pairwise
from pathlib import Path

from rthv.tools.process_output import qemu_command, read_until

# Prints "one", then "two" a moment later, then sleeps long: a reader must stop at a marker.
CHATTY = (
    "import time\n"
    "print('one', flush=True)\n"
    "time.sleep(0.2)\n"
    "print('two', flush=True)\n"
    "time.sleep(60)\n"
)


def _start(script: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)


def test_reading_stops_once_done_holds_and_on_output_sees_each_chunk() -> None:
    seen: list[bytes] = []
    with _start(CHATTY) as process:
        output = read_until(process, lambda out: b"two\n" in out, 30.0, seen.append)
        process.kill()
    assert output == b"one\ntwo\n"
    assert seen and seen[-1] == output  # everything so far, after each chunk, however split
    assert all(later.startswith(earlier) for earlier, later in pairwise(seen))


def test_reading_ends_when_the_process_closes_its_output() -> None:
    with _start("print('bye')") as process:
        output = read_until(process, lambda _: False, 30.0)
    assert output == b"bye\n"


def test_reading_gives_up_after_its_time_bound() -> None:
    """A bound on waiting: a process that never prints the marker is left after ``seconds``."""
    with _start(CHATTY) as process:
        output = read_until(process, lambda _: False, 0.0)
        process.kill()
    assert b"two" not in output


def test_the_qemu_command_names_the_machine_the_image_and_the_extra_options() -> None:
    command = qemu_command(Path("g.elf"), "-icount", "shift=0,sleep=off", machine="virt")
    assert command[:3] == ["qemu-system-arm", "-M", "virt"]
    assert command[-3:] == ["g.elf", "-icount", "shift=0,sleep=off"]
    assert "stdio" in command and "-nographic" in command
