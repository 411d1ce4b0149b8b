"""Typing into a VM: files fed to a console UART, and the terminal forwarded to one."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import pytest

from hv_support import vm_toml, write_system
from rthv.board.run_result import StopCause
from rthv.tools.console_input import (
    ESCAPE,
    IDLE_LOOK_S,
    InputError,
    TerminalSink,
    feed_inputs,
    keys_ready,
    parse_input,
    run_with_terminal,
)
from rthv.tools.system import boot_system

REPO = Path(__file__).resolve().parents[1]
UBOOT = REPO / "examples" / "uboot-vm.toml"


def test_parse_input_reads_the_file(tmp_path: Path) -> None:
    """VM:FILE gives the VM's name and the file's bytes; the path may hold colons."""
    (tmp_path / "a:b.txt").write_bytes(b"ls\n")
    assert parse_input(f"linux:{tmp_path / 'a:b.txt'}") == ("linux", b"ls\n")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("linux", "--input 'linux': write it as VM:FILE"),
        (":x", "--input ':x': write it as VM:FILE"),
        ("linux:/nonexistent/x", "--input 'linux:/nonexistent/x': cannot read /nonexistent/x: "),
    ],
)
def test_parse_input_errors_name_the_argument(spec: str, message: str) -> None:
    with pytest.raises(InputError) as error:
        parse_input(spec)
    assert str(error.value).startswith(message)


def test_input_for_an_unknown_vm_is_refused() -> None:
    """The message lists the VMs there are."""
    hv = boot_system(UBOOT)
    with pytest.raises(InputError) as error:
        feed_inputs(hv, [("linux", b"x")])
    assert str(error.value) == "no VM 'linux': the system has uboot"


@pytest.fixture
def keyboard() -> Iterator[tuple[int, int]]:
    """A pipe standing in for the terminal: (read end, write end)."""
    read, write = os.pipe()
    yield read, write
    os.close(read)
    os.close(write)


def test_keys_typed_reach_the_vm(keyboard: tuple[int, int]) -> None:
    """U-Boot reads a command typed at its prompt and answers it."""
    keys, typing = keyboard
    sink = TerminalSink("uboot", io.BytesIO())
    hv = boot_system(UBOOT, console=sink)
    os.write(typing, b"echo typed-$bootdelay\r")
    result = run_with_terminal(hv, "uboot", Fraction(40_000_000), keys, clock=lambda: 1e9)
    assert result.cause is StopCause.UNTIL
    assert b"=> echo typed-$bootdelay\r\ntyped-2\r\n" in sink.text["uboot"]


def test_ctrl_close_bracket_leaves(keyboard: tuple[int, int]) -> None:
    """Ctrl-] ends the run at once; what was typed before it still goes in."""
    keys, typing = keyboard
    sink = TerminalSink("uboot", io.BytesIO())
    hv = boot_system(UBOOT, console=sink)
    os.write(typing, b"ab" + bytes((ESCAPE,)) + b"cd")
    result = run_with_terminal(hv, "uboot", None, keys, clock=lambda: 1e9)
    assert result.cause is StopCause.INTERRUPTED
    assert hv.machine.uart("uart0").rx_pending == 2


def test_the_other_vms_lines_are_prefixed_in_raw_mode() -> None:
    """The chosen VM's bytes pass as they are; other sources come as whole CR-LF lines."""
    out = io.BytesIO()
    sink = TerminalSink("linux", out)
    sink("linux", b"linux:/# ")
    sink("rtos", b"tick 1\ntick")
    sink("rtos", b" 2\n")
    assert out.getvalue() == b"linux:/# \r\n[rtos] tick 1\r\n\r\n[rtos] tick 2\r\n"


def test_once_idle_for_good_the_terminal_waits_for_a_key_with_time_standing_still(
    keyboard: tuple[int, int], tmp_path: Path
) -> None:
    """hello halts; its EDF releases go on but can wake nothing, so the run stops idle: the
    loop then looks at the keyboard every IDLE_LOOK_S of host time (no busy loop), and the
    key that comes (here Ctrl-], on the third look) is read as ever."""
    keys, typing = keyboard
    head = '[scheduler]\npolicy = "edf"\n'
    path = write_system(tmp_path, vm_toml("a", "hello", sched="period_us = 10000"), head=head)
    sink = TerminalSink("a", io.BytesIO())
    hv = boot_system(path, console=sink)
    waits: list[float] = []

    def ready(fd: int, wait: float) -> bool:
        waits.append(wait)
        if len(waits) == 3:
            os.write(typing, bytes((ESCAPE,)))
        return keys_ready(fd, 0)

    result = run_with_terminal(hv, "a", None, keys, clock=lambda: 1e9, ready=ready)
    assert result.cause is StopCause.INTERRUPTED
    assert waits == [IDLE_LOOK_S] * 3
    assert sink.text["a"].endswith(b"hello done\n")
    assert hv.machine.clock.now() < hv.machine.clock.from_ns(10_000_000)  # no release ran
