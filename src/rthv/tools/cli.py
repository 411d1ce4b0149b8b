"""The ``rthv`` command line.

Each command imports what it needs when it runs, so ``rthv --help`` and argument errors stay
quick (the engine, the board models and, for configurations, pydantic take most of a start-up).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rthv.tools.cli_parser import (
    EXIT_GUEST_FAILED,
    EXIT_INTERNAL_ERROR,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    build_parser,
)
from rthv.tools.duration import format_ns, parse_duration

if TYPE_CHECKING:
    from fractions import Fraction

    from rthv.board.run_result import RunResult
    from rthv.hv.hypervisor import Hypervisor
    from rthv.tools.pictures import WrittenReport
    from rthv.tools.system import Pace, StepRun, SystemRun
    from rthv.tools.terminal import ConsoleView


class CliError(Exception):
    """A user error, reported on one line with exit status 2."""


def _check_slice(max_slice: int | None) -> None:
    if max_slice is not None and max_slice < 1:
        raise CliError(f"--slice {max_slice}: a slice is at least 1 instruction")


def _bench(args: argparse.Namespace) -> int:
    from rthv.tools.bench import run_speed, speed_markdown, write_json
    from rthv.tools.paper import paper_markdown, plot_sweep, run_paper

    if not (args.speed or args.paper or args.linux):
        raise CliError("choose a benchmark: --speed, --paper and/or --linux")
    if args.paper:
        paper = run_paper(Path.cwd())
        write_json(paper, args.json.with_name("paper.json"))
        plot_sweep(paper.sweep, args.json.with_name("paper-sweep.png"))
        print(paper_markdown(paper))
    if args.linux:
        from rthv.tools.linux_bench import linux_markdown, run_linux_bench

        linux = run_linux_bench(Path.cwd())
        write_json(linux, args.json.with_name("linux.json"))
        print(linux_markdown(linux))
    if args.speed:
        result = run_speed(args.image, args.repetitions)
        write_json(result, args.json)
        print(speed_markdown(result))
        print(f"\n(JSON in {args.json}; host: {result.host})")
    return 0


def _run_system(args: argparse.Namespace) -> int:
    from rthv.tools.console_input import parse_input
    from rthv.tools.system import (
        RunFailed,
        failed_run_report,
        policy_failure_lines,
        run_report,
        run_system,
        summarise,
    )
    from rthv.tools.task_metrics import system_task_metrics
    from rthv.tools.terminal import ConsoleView, run_with_progress
    from rthv.tools.trace_export import chrome_trace, write_chrome_trace

    view = ConsoleView()
    pace: Pace = lambda step, now, end: run_with_progress(step, now, end, view)  # noqa: E731
    booted = None
    try:
        _check_slice(args.slice)
        until = parse_duration(args.until) if args.until is not None else None
        inputs = [parse_input(spec) for spec in args.input]
        if args.gdb is not None:
            pace, booted = _gdb(args, view)
        elif args.gdb_wait:
            raise CliError("--gdb-wait needs --gdb VM:PORT")
        if args.console is not None:
            run = _run_at_terminal(args, until, inputs)
        else:
            run = run_system(
                args.config,
                emit=view.line,
                until_ns=until,
                max_slice=args.slice,
                stop=args.stop,
                full_trace=args.trace is not None or args.report is not None,
                overrides=_timing_overrides(args),
                pace=pace,
                booted=booted,
                inputs=inputs,
            )
    except RunFailed as failed:  # the report still says what is known, and the error
        if args.json is not None:
            _write_json(args.json, failed_run_report(failed.hv, failed.error, failed.consoles))
        raise failed.error from failed.error.__cause__
    except Exception as error:
        if args.json is not None:
            _write_json(args.json, failed_run_report(None, error, {}))
        raise
    hv, result, consoles = run.hv, run.result, run.consoles
    if args.trace is not None:
        write_chrome_trace(hv, args.trace)
    if args.json is not None:
        _write_json(args.json, run_report(hv, result, consoles))
    if args.report is not None:
        from rthv.tools.pictures import write_pictures
        from rthv.tools.report_data import RunPicture

        picture = RunPicture()
        picture.add_report(json.loads(json.dumps(run_report(hv, result, consoles))))
        picture.add_trace(chrome_trace(hv))
        _say_written(write_pictures(picture, args.report, html=args.html))
    view.line(
        "rthv",
        f"{hv.board.name}: {format_ns(hv.machine.clock.to_ns(result.cycles))} virtual "
        f"time, {result.instructions} instructions, stopped: {result.cause.value}",
    )
    for summary in summarise(hv):
        view.line("rthv", summary.line())
    for tasks in system_task_metrics(hv).values():
        for task in tasks:
            view.line("rthv", task.line())
    for line in policy_failure_lines(hv):  # a fallback took over: never in silence
        view.line("rthv", f"scheduler: {line}")
        print(f"rthv: warning: {line}", file=sys.stderr)
    internal = [fault for fault in hv.faults if fault.internal]
    for fault in internal:
        print(f"rthv: {fault.describe()}", file=sys.stderr)
    return EXIT_INTERNAL_ERROR if internal else 0


def _run_at_terminal(
    args: argparse.Namespace, until: Fraction | None, inputs: list[tuple[str, bytes]]
) -> SystemRun:
    """``rthv run --console VM``: the terminal typing into the VM until the end or Ctrl-]."""
    from rthv.tools.console_input import (
        ESCAPE_NAME,
        TerminalSink,
        console_uart,
        feed_inputs,
        raw_terminal,
        run_with_terminal,
    )
    from rthv.tools.system import SystemRun, boot_system

    sink = TerminalSink(args.console)
    hv = boot_system(
        args.config,
        console=sink,
        full_trace=args.trace is not None or args.report is not None,
        overrides=_timing_overrides(args),
    )
    console_uart(hv, args.console)  # a bad VM name is an error before the terminal changes
    feed_inputs(hv, inputs)
    args.stop.attach(hv.machine)
    print(f'[rthv] typing goes to vm "{args.console}"; {ESCAPE_NAME} leaves', file=sys.stderr)
    keys = sys.stdin.fileno()
    with raw_terminal(keys):
        result = run_with_terminal(hv, args.console, until, keys)
    print()
    consoles = {name: text.decode(errors="replace") for name, text in sink.text.items()}
    return SystemRun(hv, result, consoles)


def _write_json(path: Path, report: dict[str, object]) -> None:
    path.write_text(json.dumps(report, indent=2) + "\n")


def _timing_overrides(args: argparse.Namespace) -> dict[str, object]:
    overrides: dict[str, object] = {}
    if args.timing is not None:
        overrides["timing"] = args.timing
    if args.cpi is not None:
        overrides["cpi"] = args.cpi
    return overrides


def _gdb(args: argparse.Namespace, view: ConsoleView) -> tuple[Pace, Callable[[Hypervisor], None]]:
    """The run paced by a GDB server for one VM, created once the system has booted."""
    from rthv.tools.gdb_server import HOST, GdbServer, parse_gdb_option

    vm, port = parse_gdb_option(args.gdb)
    servers: list[GdbServer] = []

    def booted(hv: Hypervisor) -> None:
        server = GdbServer(hv, vm, port, stopping=lambda: args.stop.requested)
        servers.append(server)
        view.line("rthv", f"gdb: {vm} on {HOST}:{server.port}")
        view.console.file.flush()

    def pace(step: StepRun, now: Callable[[], Fraction], end: Fraction | None) -> RunResult:
        try:
            return servers[0].run(step, now, end, wait=args.gdb_wait)
        finally:
            servers[0].close()

    return pace, booted


def _report(args: argparse.Namespace) -> int:
    from rthv.tools.pictures import write_pictures
    from rthv.tools.report_data import load_picture

    _say_written(write_pictures(load_picture(args.inputs), args.out, html=args.html))
    return 0


def _say_written(written: WrittenReport) -> None:
    files = (written.timeline, written.latency, written.table, written.html)
    print(f"[rthv] wrote {', '.join(str(path) for path in files if path is not None)}")


def _run_bare(args: argparse.Namespace) -> int:
    from rthv.board.timing import profile
    from rthv.tools.bare import run_bare

    _check_slice(args.slice)
    until = parse_duration(args.until) if args.until is not None else None

    def echo(_name: str, data: bytes) -> None:
        sys.stdout.write(data.decode(errors="replace"))
        sys.stdout.flush()

    run = run_bare(
        args.image,
        board=args.board,
        until_ns=until,
        max_slice=args.slice,
        load_address=args.load_address,
        frequency_hz=args.cpu_hz,
        timing=profile(args.timing, args.cpi),
        echo=echo,
        stop=args.stop,
        say=lambda line: print(f"[rthv] {line}", file=sys.stderr),
    )
    result = run.result
    print(
        f"[rthv] {run.machine.board.name}: {result.instructions} instructions, "
        f"{format_ns(run.ns)} virtual time ({result.cycles} cycles, "
        f"{result.idle_cycles} idle), stopped: {result.cause.value}"
    )
    errors = run.machine.guest_errors
    if errors.total:
        each = ", ".join(f"{reg}: {n}" for reg, n in sorted(errors.by_register().items()))
        print(f"[rthv] {errors.total} guest errors ({each})")
    if run.machine.lockup is not None:
        print(f"rthv: guest lockup: {run.machine.lockup}", file=sys.stderr)
        return EXIT_GUEST_FAILED
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse arguments, run, and turn user errors into one line and exit 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from rthv.board.stop_request import StopRequest

    args.stop = StopRequest()
    if args.command == "run":
        from rthv.tools.watchdog import CallbackInterrupted, PolicyWatchdog

        if args.callback_budget <= 0:
            print("rthv: error: --callback-budget must be positive", file=sys.stderr)
            return EXIT_USAGE
        watchdog = PolicyWatchdog(args.stop, args.callback_budget)
        watchdog.install()
        try:
            status = _dispatch(parser, args)
        except CallbackInterrupted as interrupted:  # Ctrl-C inside a policy callback
            print(f"rthv: {interrupted}", file=sys.stderr)
            return EXIT_INTERRUPTED
        finally:
            watchdog.uninstall()
    else:
        previous = signal.signal(signal.SIGINT, lambda _signum, _frame: args.stop.request())
        try:
            status = _dispatch(parser, args)
        finally:
            signal.signal(signal.SIGINT, previous)
    if args.stop.requested:
        print("rthv: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return status


def _user_errors() -> tuple[type[Exception], ...]:
    """The errors that are the user's doing (bad input), imported only once one is raised, so
    that a command does not load the modules of the others (run-bare: no hypervisor)."""
    from rthv.board.description import BoardError
    from rthv.board.engine_clock import EngineClockError
    from rthv.board.loader import ImageError
    from rthv.board.memory import MemoryMapError
    from rthv.board.timing import TimingError
    from rthv.hv.config import ConfigError
    from rthv.hv.costs import CostError
    from rthv.hv.scheduling.errors import SchedulerError
    from rthv.hv.stage2_descriptors import Stage2Error
    from rthv.tools.duration import DurationError
    from rthv.tools.firmware import FirmwareError
    from rthv.tools.gdb_server import GdbError
    from rthv.tools.report_data import ReportInputError

    return (
        CliError,
        ConfigError,
        BoardError,
        EngineClockError,  # the engine could read only host time: nothing may run
        ImageError,
        MemoryMapError,
        SchedulerError,
        Stage2Error,
        TimingError,
        CostError,
        DurationError,
        FirmwareError,
        GdbError,
        ReportInputError,
        OSError,  # a file named on the command line or in the configuration
    )


def _dispatch(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Run the chosen command; user errors (caught by name) become one line and exit status 2,
    anything else is a bug in rthv and says so, with exit status 3."""
    try:
        if args.command == "run-bare":
            return _run_bare(args)
        if args.command == "run":
            return _run_system(args)
        if args.command == "bench":
            return _bench(args)
        if args.command == "report":
            return _report(args)
    except Exception as error:
        if isinstance(error, _user_errors()):
            print(f"rthv: error: {_with_origin(error)}", file=sys.stderr)
            if getattr(args, "debug", False) and error.__cause__ is not None:
                traceback.print_exception(error.__cause__, file=sys.stderr)  # the whole chain
            return EXIT_USAGE
        # not the user's doing: a bug in rthv
        print(
            f"rthv: internal error (a bug in rthv, please report it): "
            f"{type(error).__name__}: {error}",
            file=sys.stderr,
        )
        if getattr(args, "debug", False):
            traceback.print_exception(error, file=sys.stderr)
        return EXIT_INTERNAL_ERROR
    parser.error(f"unknown command {args.command}")
    return EXIT_USAGE  # pragma: no cover


def _with_origin(error: BaseException) -> str:
    """The error's line; for a plug-in's exception, with the file and line that raised it."""
    from rthv.hv.scheduling.errors import SchedulerError
    from rthv.tools.watchdog import raised_at

    cause = error.__cause__
    while cause is not None and cause.__cause__ is not None:  # down to the plug-in's own
        cause = cause.__cause__
    where = raised_at(cause) if isinstance(error, SchedulerError) and cause is not None else None
    if where is None or where in str(error):
        return str(error)
    return f"{error} (raised at {where})"


if __name__ == "__main__":
    sys.exit(main())
