"""Running one image bare-metal: console bytes per UART, virtual time, echo and stopping."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from rthv.board.run_result import StopCause
from rthv.board.stop_request import StopRequest
from rthv.tools.bare import run_bare
from support import assemble, guest_image

HELLO = "Hello from rthv guest\nhello done\n"
HELLO_INSTRUCTIONS = 303
RAM = 0x8000_0000

# 'A' on UART0, 'C' on UART1, 'B' on UART0, then sleep for good.
TWO_UARTS = """
    ldr r0, =0x1c090000
    ldr r1, =0x1c0a0000
    mov r2, #'A'
    str r2, [r0]
    mov r2, #'C'
    str r2, [r1]
    mov r2, #'B'
    str r2, [r0]
    wfi
"""


def _two_uarts(tmp_path: Path) -> Path:
    path = tmp_path / "two-uarts.bin"
    path.write_bytes(assemble(TWO_UARTS, base=RAM))
    return path


def test_hello_prints_and_idles_after_its_instructions() -> None:
    """hello.elf: its text on the console, idle after 303 instructions, 303 ns at 1 GHz."""
    run = run_bare(guest_image("hello"))
    assert run.output == HELLO
    assert (run.result.cause, run.result.instructions) == (StopCause.IDLE, HELLO_INSTRUCTIONS)
    assert run.result.cycles == HELLO_INSTRUCTIONS
    assert run.ns == HELLO_INSTRUCTIONS


@pytest.mark.parametrize(
    ("frequency_hz", "cpi", "cycles", "ns"),
    [(500_000_000, 1, 303, 606), (1_000_000_000, 2, 606, 606), (2_000_000_000, 3, 909, 454.5)],
)
def test_ns_follows_the_frequency_and_cycles_per_instruction(
    frequency_hz: int, cpi: int, cycles: int, ns: float
) -> None:
    """The same 303 instructions take cpi cycles each, a cycle lasting 1/frequency."""
    run = run_bare(guest_image("hello"), frequency_hz=frequency_hz, cpi=cpi)
    assert (run.result.instructions, run.result.cycles) == (HELLO_INSTRUCTIONS, cycles)
    assert run.ns == Fraction(ns)


def test_until_ns_stops_at_that_virtual_time() -> None:
    """The timer guest stopped at 3 ms has ticked three times, at exactly 3,000,000 cycles."""
    run = run_bare(guest_image("timer"), until_ns=Fraction(3_000_000))
    assert (run.result.cause, run.result.cycles) == (StopCause.UNTIL, 3_000_000)
    assert run.ns == Fraction(3_000_000)
    assert "tick 3\n" in run.output and "tick 4" not in run.output


def test_each_uart_has_its_own_console_and_output_is_the_boards(tmp_path: Path) -> None:
    """A raw image at a load address writes both UARTs: bytes kept per UART; output is UART0."""
    run = run_bare(_two_uarts(tmp_path), load_address=RAM)
    assert run.consoles == {"uart0": bytearray(b"AB"), "uart1": bytearray(b"C")}
    assert run.output == "AB"
    assert run.result.instructions == 9


def test_echo_sees_the_same_bytes_in_the_order_written(tmp_path: Path) -> None:
    """The echo callback gets every console chunk as it is printed, with its UART."""
    echoed: list[tuple[str, bytes]] = []
    run = run_bare(
        _two_uarts(tmp_path), load_address=RAM, echo=lambda n, d: echoed.append((n, bytes(d)))
    )
    assert echoed == [("uart0", b"A"), ("uart1", b"C"), ("uart0", b"B")]
    for uart, text in run.consoles.items():
        assert b"".join(data for name, data in echoed if name == uart) == text


def test_a_stop_requested_during_the_run_interrupts_it() -> None:
    """A request from the echo callback at the first byte ends the run INTERRUPTED, early."""
    stop = StopRequest()
    run = run_bare(guest_image("hello"), echo=lambda _n, _d: stop.request(), stop=stop)
    assert run.result.cause is StopCause.INTERRUPTED
    assert run.output.startswith("H") and len(run.output) < len(HELLO)
    assert run.result.instructions < HELLO_INSTRUCTIONS


def test_a_stop_requested_before_the_run_returns_at_once() -> None:
    """A request already made when run_bare starts: INTERRUPTED before any instruction."""
    stop = StopRequest()
    stop.request()
    run = run_bare(guest_image("hello"), stop=stop)
    assert run.result.cause is StopCause.INTERRUPTED
    assert (run.result.instructions, run.output) == (0, "")
