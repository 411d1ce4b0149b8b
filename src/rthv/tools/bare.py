"""Running one image bare-metal on the board: the reference for every overhead figure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from rthv.board.description import load_board
from rthv.board.guest_errors import first_lines
from rthv.board.loader import load_image, read_image
from rthv.board.machine import ConsoleSink, Machine
from rthv.board.run_result import RunResult
from rthv.board.stop_request import StopRequest
from rthv.board.timing import TimingProfile


@dataclass
class BareRun:
    """The outcome of a bare-metal run: console bytes per UART and the run's figures."""

    machine: Machine
    result: RunResult
    consoles: dict[str, bytearray] = field(default_factory=dict)

    @property
    def output(self) -> str:
        """Everything the board's console UART printed."""
        return self.consoles.get(self.machine.board.console, bytearray()).decode(errors="replace")

    @property
    def ns(self) -> Fraction:
        """Virtual time at the end of the run, in nanoseconds."""
        return self.machine.clock.to_ns(self.result.cycles)


def boot_bare(
    image_path: Path,
    *,
    board: str = "vexpress-a15",
    load_address: int | None = None,
    frequency_hz: int = 1_000_000_000,
    cpi: int | Fraction = 1,
    native_counter: bool | None = None,
    console: ConsoleSink | None = None,
    timing: TimingProfile | None = None,
) -> Machine:
    """A fresh board with ``image_path`` loaded and the CPU at its entry, not yet running."""
    description = load_board(board)
    image = read_image(image_path, load_address=load_address)
    machine = Machine(
        description,
        frequency_hz=frequency_hz,
        cpi=cpi,
        native_counter=native_counter,
        console=console,
        timing=timing,
    )
    load_image(image, machine.memory)
    machine.reset(image.entry)
    return machine


def run_bare(
    image_path: Path,
    *,
    board: str = "vexpress-a15",
    until_ns: Fraction | None = None,
    max_slice: int | None = None,
    load_address: int | None = None,
    frequency_hz: int = 1_000_000_000,
    cpi: int | Fraction = 1,
    native_counter: bool | None = None,
    echo: ConsoleSink | None = None,
    stop: StopRequest | None = None,
    timing: TimingProfile | None = None,
    say: Callable[[str], None] | None = None,
) -> BareRun:
    """Load ``image_path`` on a fresh board and run it until ``until_ns`` or until it idles;
    ``say`` hears the first guest errors of each device register (all are counted)."""
    consoles: dict[str, bytearray] = {}

    def sink(name: str, data: bytes) -> None:
        consoles.setdefault(name, bytearray()).extend(data)
        if echo is not None:
            echo(name, data)

    machine = boot_bare(
        image_path,
        board=board,
        load_address=load_address,
        frequency_hz=frequency_hz,
        cpi=cpi,
        native_counter=native_counter,
        console=sink,
        timing=timing,
    )
    if stop is not None:
        stop.attach(machine)
    if say is not None:
        machine.guest_errors.observers.append(first_lines(say, "guest error: "))
    until = None if until_ns is None else machine.clock.from_ns(until_ns)
    result = machine.run(until, max_slice=max_slice)
    return BareRun(machine, result, consoles)
