"""The rthv command line: runs guests, and turns bad input into one line and exit status 2."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hv_support import vm_toml, write_system
from rthv.tools.cli import main
from support import REPO, guest_image


def _cli(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rthv.tools.cli", *args], capture_output=True, text=True, check=False
    )


def _elf(tmp_path: Path, address: int) -> Path:
    source = tmp_path / "tiny.S"
    source.write_text(".global _start\n_start: b _start\n")
    image = tmp_path / f"tiny-{address:x}.elf"
    subprocess.run(
        [
            "arm-none-eabi-gcc",
            "-nostdlib",
            f"-Wl,-Ttext={address:#x}",
            "-o",
            str(image),
            str(source),
        ],
        check=True,
    )
    return image


def test_run_bare_prints_the_console_and_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    """`rthv run-bare hello.elf` shows the guest's console and one summary line."""
    assert main(["run-bare", str(guest_image("hello"))]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Hello from rthv guest\nhello done\n")
    summary = out.splitlines()[-1]
    assert summary.startswith("[rthv] vexpress-a15: ") and "stopped: idle" in summary


def test_until_limits_virtual_time(capsys: pytest.CaptureFixture[str]) -> None:
    """--until 3ms stops the timer guest after three ticks, at exactly 3,000,000 cycles."""
    assert main(["run-bare", str(guest_image("timer")), "--until", "3ms"]) == 0
    out = capsys.readouterr().out
    assert "tick 3\n" in out and "tick 4" not in out
    assert "(3000000 cycles" in out and "stopped: until" in out


def test_timing_and_cpi_are_chosen_on_the_command_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The same guest takes 1.5 times the cycles at --cpi 1.5, and more under cortex-a7."""
    figures = []
    for extra in ([], ["--cpi", "1.5"], ["--timing", "cortex-a7"]):
        assert main(["run-bare", str(guest_image("hello")), *extra]) == 0
        summary = capsys.readouterr().out.splitlines()[-1]
        instructions = int(summary.split(": ")[1].split(" instructions")[0])
        cycles = int(summary.split("(")[1].split(" cycles")[0])
        figures.append((instructions, cycles))
    (count, one), (_, half_more), (_, a7) = figures
    assert one == count and half_more == count * 3 // 2 and a7 > one


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (lambda tmp: ["run-bare", str(tmp / "missing.elf")], "no such file"),
        (lambda tmp: ["run-bare", str(Path(__file__))], "not an ELF file"),
        (lambda tmp: ["run-bare", sys.executable], "not 32-bit Arm"),
        (lambda tmp: ["run-bare", str(_elf(tmp, 0x1C090000))], "is not RAM (device uart0)"),
        (lambda tmp: ["run-bare", str(_elf(tmp, 0x10000000))], "is not RAM (no memory)"),
        (lambda tmp: ["run-bare", str(guest_image("hello")), "--board", "zynq"], "unknown board"),
        (
            lambda tmp: ["run-bare", str(guest_image("hello")), "--until", "5 parsecs"],
            "bad duration",
        ),
        (
            lambda tmp: ["run-bare", str(guest_image("hello")), "--timing", "cortex-m0"],
            "unknown timing profile 'cortex-m0'",
        ),
        (lambda tmp: ["run-bare", str(guest_image("hello")), "--cpi", "fast"], "cpi: must be"),
    ],
    ids=[
        "missing",
        "not-elf",
        "other-arch",
        "device",
        "outside-ram",
        "board",
        "duration",
        "timing",
        "cpi",
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, make_args: object, message: str) -> None:
    """Each kind of bad input gives exit status 2 and a single clear line, never a traceback."""
    args = make_args(tmp_path)  # type: ignore[operator]
    completed = _cli(args)
    assert completed.returncode == 2
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rthv: error: ")
    assert message in lines[0]
    assert "Traceback" not in completed.stderr


def test_run_prefixes_each_vm_console_and_prints_a_summary_per_vm(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`rthv run system.toml` shows each VM's console under its name, then one line per VM."""
    config = Path(__file__).parent / "fixtures" / "systems" / "two-hello.toml"
    assert main(["run", str(config), "--until", "10ms"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:4] == [
        "[a] Hello from rthv guest",
        "[a] hello done",
        "[b] Hello from rthv guest",
        "[b] hello done",
    ]
    assert out[-2].startswith("[rthv] a: 303 instructions, ")
    assert out[-1].startswith("[rthv] b: 303 instructions, ") and out[-1].endswith(", ok")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda text: text.replace('name = "uart1"', 'name = "uart0"').replace(
                'console = "uart1"', 'console = "uart0"'
            ),
            'vm "b".device "uart0": already assigned to vm "a"',
        ),
        (lambda text: text.replace('size = "1M"', 'size = "1000"', 1), "vm[0].memory[0]"),
        (lambda text: text.replace('board = "vexpress-a15"', 'board = "zynq"'), "unknown board"),
        (lambda text: text.replace("hello.elf", "missing.elf", 1), "missing.elf"),
        (lambda text: text.replace('name = "uart1"', 'name = "uart9"'), "uart9"),
    ],
    ids=["device-twice", "bad-size", "board", "image", "device"],
)
def test_bad_system_configs_exit_2_naming_the_field(
    tmp_path: Path, edit: object, message: str
) -> None:
    """Configuration conflicts stop before boot with one line that names the field."""
    original = Path(__file__).parent / "fixtures" / "systems" / "two-hello.toml"
    text = original.read_text().replace("../../../guests", str(original.parents[3] / "guests"))
    config = tmp_path / "system.toml"
    config.write_text(edit(text))  # type: ignore[operator]
    completed = _cli(["run", str(config)])
    assert completed.returncode == 2, completed.stderr
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines
    assert "Traceback" not in completed.stderr


def test_the_readme_demo_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """`rthv run examples/two-rtos.toml --until 100ms`, as the README shows it."""
    config = Path(__file__).resolve().parents[1] / "examples" / "two-rtos.toml"
    assert main(["run", str(config), "--until", "100ms"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "[rtos-a] selftest: start (max priority 32, tick 1 ms)" in out
    assert "[rtos-b] selftest: start (max priority 32, tick 1 ms)" in out
    assert out[-3].startswith("[rthv] vexpress-a15: 100 ms virtual time")
    assert out[-2].startswith("[rthv] rtos-a: ") and out[-1].startswith("[rthv] rtos-b: ")


def test_a_guest_stuck_in_an_exception_loop_ends_the_run_with_its_reason(tmp_path: Path) -> None:
    """SVC with no vector table: the run stops at once, exit 1 and one line saying why."""
    image = tmp_path / "svc.bin"
    image.write_bytes(bytes.fromhex("000000ef"))  # svc #0; nothing at VBAR = 0
    completed = _cli(["run-bare", str(image), "--load-address", "0x80000000", "--until", "1s"])
    assert completed.returncode == 1
    assert "stopped: lockup" in completed.stdout
    assert completed.stderr.strip() == (
        "rthv: guest lockup: prefetch-abort at pc 0x0000000c repeats without executing an "
        "instruction (is there code at the exception vectors?)"
    )


def test_ctrl_c_ends_a_run_with_one_line() -> None:
    """SIGINT while the guest runs: the run stops, exit 130 and "rthv: interrupted"."""
    process = subprocess.Popen(
        [sys.executable, "-m", "rthv.tools.cli", "run-bare", str(guest_image("compute"))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()  # the guest is running: the handler is installed
    assert first.startswith("compute start")
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert err.strip() == "rthv: interrupted"
    assert "compute done" not in out and "stopped: interrupted" in out


def test_run_writes_a_json_report_for_ci(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json: stop cause, per-VM figures and each console, for a CI job to check."""
    config = Path(__file__).parent / "fixtures" / "systems" / "two-hello.toml"
    report_path = tmp_path / "report.json"
    assert main(["run", str(config), "--json", str(report_path)]) == 0
    capsys.readouterr()
    report = json.loads(report_path.read_text())
    assert (report["board"], report["stopped"], report["policy"]) == (
        "vexpress-a15",
        "idle",
        "round-robin",
    )
    assert [(vm["name"], vm["instructions"], vm["fault"]) for vm in report["vms"]] == [
        ("a", 303, None),
        ("b", 303, None),
    ]
    assert report["consoles"] == {
        "a": "Hello from rthv guest\nhello done\n",
        "b": "Hello from rthv guest\nhello done\n",
    }
    assert report["instructions"] == 606


@pytest.mark.parametrize("value", ["0", "-1"])
@pytest.mark.parametrize("command", ["run", "run-bare"])
def test_a_slice_below_one_instruction_is_refused(
    command: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """--slice 0 or -1 would never advance: one error line and exit 2, in both commands."""
    target = "examples/two-rtos.toml" if command == "run" else str(guest_image("hello"))
    assert main([command, target, "--slice", value]) == 2
    err = capsys.readouterr().err
    assert err == f"rthv: error: --slice {value}: a slice is at least 1 instruction\n"


@pytest.mark.parametrize(
    ("policy", "sched", "named", "meant"),
    [
        ("fixed-priority", "priorty = 1", "priorty", "priority"),
        ("round-robin", "quantom_us = 100", "quantom_us", "quantum_us"),
    ],
)
def test_a_misspelt_scheduling_key_is_named_with_the_file_and_path(
    policy: str,
    sched: str,
    named: str,
    meant: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A typo in [vm.sched] names the file, vm[i].sched.<typo> and the key it resembles."""
    first = "priority = 2" if policy == "fixed-priority" else ""
    path = write_system(
        tmp_path,
        vm_toml("a", "hello", sched=first),
        vm_toml("b", "hello", uart="uart1", sched=sched),
        head=f'[scheduler]\npolicy = "{policy}"\n',
    )
    assert main(["run", str(path)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"rthv: error: {path}: vm[1].sched.{named}: unknown parameter"), line
    assert f'did you mean "{meant}"?' in line


def test_help_loads_neither_the_engine_nor_the_models() -> None:
    """``rthv --help`` imports no Unicorn, no pydantic and no board model: start-up stays short."""
    probe = (
        "import sys\n"
        "from rthv.tools.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('unicorn', 'pydantic', 'rthv.board.machine') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "run-bare" in done.stdout
    assert done.stdout.strip().endswith("[]")


def test_run_bare_loads_neither_pydantic_nor_ctypes_util() -> None:
    """``rthv run-bare`` reads the shipped board without pydantic (that is for configurations)
    and finds the engine's clock import without ``ctypes.util``, which starts processes."""
    probe = (
        "import sys\n"
        "from rthv.tools.cli import main\n"
        f"assert main(['run-bare', {str(guest_image('hello'))!r}]) == 0\n"
        "heavy = [m for m in ('pydantic', 'ctypes.util') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "hello done" in done.stdout
    assert done.stdout.strip().endswith("[]")


def test_version_prints_the_package_version() -> None:
    """``rthv --version``: one line with the version the package declares."""
    from rthv import __version__

    result = _cli(["--version"])
    assert (result.returncode, result.stdout) == (0, f"rthv {__version__}\n")


def test_until_zero_stops_at_zero() -> None:
    """``--until 0ms`` ends before anything ran, at exactly 0 ns."""
    result = _cli(["run", str(REPO / "examples" / "two-rtos.toml"), "--until", "0ms"])
    assert "[rthv] vexpress-a15: 0 ns virtual time, 0 instructions, stopped: until" in (
        result.stdout
    )


def test_an_error_that_is_not_the_users_is_reported_as_a_bug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ValueError from inside rthv is not a user's mistake: one line saying so, exit status 3."""
    import rthv.tools.system

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ValueError("an invariant broke")

    monkeypatch.setattr(rthv.tools.system, "boot_system", broken)
    status = main(["run", str(REPO / "examples" / "two-rtos.toml"), "--until", "1ms"])
    (line,) = capsys.readouterr().err.splitlines()
    assert status == 3
    assert (
        line
        == "rthv: internal error (a bug in rthv, please report it): ValueError: an invariant broke"
    )
