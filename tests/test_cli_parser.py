"""The command line's arguments: options parsed to values, help that says what a user needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from rthv.tools.cli_parser import EXIT_STATUSES, build_parser


def test_run_bare_options_are_parsed_to_their_values() -> None:
    """A load address in any base, a slice and a clock in Hz become numbers; defaults are kept."""
    args = build_parser().parse_args(
        ["run-bare", "image.bin", "--load-address", "0x8000", "--slice", "7", "--cpu-hz", "5"]
    )
    assert (args.command, args.image, args.load_address) == ("run-bare", Path("image.bin"), 0x8000)
    assert (args.slice, args.cpu_hz, args.board, args.until) == (7, 5, "vexpress-a15", None)


@pytest.mark.parametrize("hz", ["0", str(1 << 64)])
def test_a_cpu_clock_out_of_range_is_a_usage_error(
    hz: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--cpu-hz from 1 to 2**64 - 1 (what the engine's clock holds): else exit status 2."""
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["run-bare", "image.bin", "--cpu-hz", hz])
    assert exited.value.code == 2
    assert f"argument --cpu-hz: must be from 1 to {(1 << 64) - 1} Hz, got {hz}" in (
        capsys.readouterr().err
    )


def test_a_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    """No command: argparse's usage error, exit status 2."""
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args([])
    assert exited.value.code == 2
    assert "command" in capsys.readouterr().err


def test_run_help_shows_units_defaults_policies_and_exit_statuses() -> None:
    """What a user needs before the first run is in ``rthv run --help``."""
    from rthv.hv.scheduling.registry import BUILTIN_POLICIES

    parser = build_parser()
    run = next(
        action.choices["run"]
        for action in parser._actions
        if isinstance(action.choices, dict) and "run" in action.choices
    )
    text = " ".join(run.format_help().split())  # undo the wrapping
    assert "e.g. 600ms, 2.5s, 100us" in text
    assert "(default: run until nothing more can happen)" in text
    assert all(policy in text for policy in BUILTIN_POLICIES)
    for status, meaning in EXIT_STATUSES.items():
        assert f"{status} {meaning}" in text


def test_top_level_help_lists_the_exit_statuses() -> None:
    """``rthv --help`` ends with every exit status and its meaning."""
    text = " ".join(build_parser().format_help().split())
    for status, meaning in EXIT_STATUSES.items():
        assert f"{status} {meaning}" in text
