"""The ``rthv`` command line's arguments: the parser, its help texts and the exit statuses.

Epilogs that import more (the scheduling policies) are made only when help is shown.
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Callable
from pathlib import Path

from rthv.board.board_files import available_boards
from rthv.board.clock import MAX_FREQUENCY_HZ
from rthv.board.timing import DEFAULT_PROFILE, PROFILES

EXIT_GUEST_FAILED = 1  # the run ended because the guest could not go on
EXIT_USAGE = 2  # bad input: nothing was run
EXIT_INTERNAL_ERROR = 3  # rthv failed while serving a VM (that VM was stopped; a bug to report)
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT


def _int(text: str) -> int:
    return int(text, 0)


def _frequency(text: str) -> int:
    hz = int(text)
    if not 0 < hz <= MAX_FREQUENCY_HZ:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_FREQUENCY_HZ} Hz, got {hz}")
    return hz


EXIT_STATUSES = {
    0: "the run ended (at --until, or with nothing more to do)",
    EXIT_GUEST_FAILED: "a bare-metal guest locked up (under the hypervisor only that VM stops)",
    EXIT_USAGE: (
        "bad input (a missing file, a configuration error naming its field), or an engine whose "
        "clock cannot follow virtual time: nothing ran"
    ),
    EXIT_INTERNAL_ERROR: "rthv failed while serving a VM (that VM was stopped): a bug to report",
    EXIT_INTERRUPTED: "interrupted with Ctrl-C: the run stopped at once",
}
HELP_WIDTH = 79
UNTIL_HELP = (
    "stop at this virtual time: a number and a unit (s, ms, us, ns), e.g. 600ms, 2.5s, 100us "
    "(default: run until nothing more can happen)"
)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose epilog is made only when help is shown (it may import more)."""

    epilog_from: Callable[[], str] | None = None

    def format_help(self) -> str:
        if self.epilog_from is not None:
            self.epilog = self.epilog_from()
        return super().format_help()


def _exit_statuses() -> str:
    lines = [f"  {status:<4} {meaning}" for status, meaning in EXIT_STATUSES.items()]
    return "exit statuses:\n" + "\n".join(lines)


def _run_epilog() -> str:
    from rthv.hv.scheduling.registry import BUILTIN_POLICIES

    policies = (
        "scheduling policies ([scheduler] policy in the configuration): "
        f"{', '.join(BUILTIN_POLICIES)}, or path/to/file.py:ClassName of your own "
        "(docs/scheduler-plugins.md)"
    )
    return (
        textwrap.fill(policies, HELP_WIDTH) + "\n\n"
        "example:\n  rthv run examples/two-rtos.toml --until 600ms --json run.json\n\n"
        + _exit_statuses()
    )


def build_parser() -> argparse.ArgumentParser:
    """The parser of every ``rthv`` command and its options."""
    from rthv import __version__

    raw = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
        prog="rthv",
        description="real-time hypervisor on an emulated ARMv7-A board, in exact virtual time",
        formatter_class=raw,
    )
    parser.epilog_from = _exit_statuses
    parser.add_argument("--version", action="version", version=f"rthv {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    bare = commands.add_parser(
        "run-bare", help="run one guest image bare-metal on the board", formatter_class=raw
    )
    bare.epilog_from = _exit_statuses
    bare.add_argument("image", type=Path, help="ELF image (or raw binary with --load-address)")
    bare.add_argument(
        "--board",
        default="vexpress-a15",
        help=f"one of: {', '.join(available_boards())} (default: vexpress-a15)",
    )
    bare.add_argument("--until", default=None, help=UNTIL_HELP)
    bare.add_argument("--load-address", type=_int, default=None, help="load a raw binary here")
    bare.add_argument(
        "--slice",
        type=int,
        default=None,
        help="at most this many instructions per run slice; results do not depend on it "
        "(default: no limit)",
    )
    bare.add_argument(
        "--cpu-hz", type=_frequency, default=1_000_000_000, help="CPU clock in Hz (default: 1 GHz)"
    )
    bare.add_argument(
        "--timing",
        default=DEFAULT_PROFILE,
        help=f"timing profile, one of: {', '.join(PROFILES)} (default: {DEFAULT_PROFILE})",
    )
    bare.add_argument(
        "--cpi", default=None, help="scale of every instruction weight, e.g. 1.5 (default: 1)"
    )
    run = commands.add_parser(
        "run", help="boot a system configuration and run its VMs", formatter_class=raw
    )
    run.epilog_from = _run_epilog
    run.add_argument("config", type=Path, help="system configuration (TOML)")
    run.add_argument("--until", default=None, help=UNTIL_HELP)
    run.add_argument(
        "--slice",
        type=int,
        default=None,
        help="at most this many instructions per slice; results do not depend on it "
        "(default: no limit)",
    )
    run.add_argument(
        "--callback-budget",
        type=float,
        default=2.0,
        help="host seconds a scheduling-policy callback may run before it is stopped (default 2)",
    )
    run.add_argument(
        "--debug", action="store_true", help="show the traceback of a plug-in's exception"
    )
    run.add_argument(
        "--timing",
        default=None,
        help=f"timing profile, overrides the file's: {', '.join(PROFILES)}",
    )
    run.add_argument("--cpi", default=None, help="overrides the file's cpi, e.g. 1.5")
    run.add_argument(
        "--trace", type=Path, default=None, help="write the event trace as Perfetto/Chrome JSON"
    )
    run.add_argument(
        "--json", type=Path, default=None, help="write the run's results (per VM, consoles) as JSON"
    )
    run.add_argument(
        "--console",
        metavar="VM",
        default=None,
        help="type into VM's console UART from this terminal (raw mode; Ctrl-] leaves)",
    )
    run.add_argument(
        "--input",
        metavar="VM:FILE",
        action="append",
        default=[],
        help="feed FILE to VM's console UART, a byte whenever its driver takes one (repeatable)",
    )
    run.add_argument(
        "--report",
        type=Path,
        default=None,
        metavar="DIR",
        help="at the end, draw the run into DIR: timeline.png, latency.png, tables.md",
    )
    run.add_argument("--html", action="store_true", help="with --report: also report.html")
    run.add_argument(
        "--gdb",
        default=None,
        metavar="VM:PORT",
        help="serve VM to GDB (gdb-multiarch: target remote 127.0.0.1:PORT) on 127.0.0.1 "
        "only; port 0 picks a free one. The system halts whenever that VM does",
    )
    run.add_argument(
        "--gdb-wait",
        action="store_true",
        help="with --gdb: hold everything at 0 until GDB attaches",
    )
    report = commands.add_parser(
        "report",
        help="draw a run from its --json report and/or --trace file",
        formatter_class=raw,
    )
    report.add_argument(
        "inputs",
        type=Path,
        nargs="+",
        metavar="RUN.json|TRACE.json",
        help="a run report (--json: figures, latencies, deadline misses) and/or a trace "
        "(--trace: the timeline)",
    )
    report.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    report.add_argument("--html", action="store_true", help="also one report.html page")
    bench = commands.add_parser(
        "bench", help="measure the simulator's speed against QEMU", formatter_class=raw
    )
    bench.add_argument("--speed", action="store_true", help="compute guest: MIPS vs QEMU")
    bench.add_argument(
        "--paper", action="store_true", help="the paper's boot, ping-pong and code-size figures"
    )
    bench.add_argument(
        "--linux", action="store_true", help="Debian's Linux to its shell prompt: rthv vs QEMU"
    )
    bench.add_argument(
        "--image",
        type=Path,
        default=Path("guests/build/vexpress-a15/compute.elf"),
        help="guest for --speed (default: %(default)s)",
    )
    bench.add_argument(
        "--repetitions", type=int, default=3, help="runs per measurement (default: %(default)s)"
    )
    bench.add_argument(
        "--json",
        type=Path,
        default=Path("docs/bench/speed.json"),
        help="where --speed writes its JSON; --paper and --linux write paper.json and "
        "linux.json beside it "
        "(default: %(default)s)",
    )
    return parser
