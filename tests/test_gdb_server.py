"""The GDB server: Debian's gdb-multiarch debugs an RTOS VM, and the run is the same as without."""

from __future__ import annotations

import json
import select
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from rthv.tools.gdb_server import TARGET_XML, Connection, GdbError, parse_gdb_option

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "examples" / "two-rtos.toml"
ELF = REPO / "guests" / "build" / "vexpress-a15" / "rtos-selftest.elf"
UNTIL = "30ms"
WAIT_S = 120  # bound on every wait for rthv or gdb; nothing here depends on it


def _run(folder: Path, *extra: str) -> list[str]:
    command = [sys.executable, "-m", "rthv.tools.cli", "run", str(CONFIG), "--until", UNTIL]
    return [*command, "--json", str(folder / "run.json"), "--trace", str(folder / "t.json"), *extra]


def _seen(folder: Path) -> tuple[object, bytes]:
    report = json.loads((folder / "run.json").read_text())
    return report["consoles"], (folder / "t.json").read_bytes()


def _debug(rthv: subprocess.Popen[str]) -> tuple[subprocess.CompletedProcess[str], int]:
    """Attach gdb-multiarch to the server rthv announces; gdb's output and rthv's status."""
    assert rthv.stdout is not None
    ready, _, _ = select.select([rthv.stdout], [], [], WAIT_S)
    assert ready, "rthv did not announce its GDB server"
    line = rthv.stdout.readline()
    assert line.startswith("[rthv] gdb: rtos-a on 127.0.0.1:"), line
    port = int(line.rsplit(":", 1)[1])
    gdb = subprocess.run(
        [
            "gdb-multiarch",
            "-batch",
            "-nx",
            "-ex", "set architecture arm",
            "-ex", f"file {ELF}",
            "-ex", f"target remote 127.0.0.1:{port}",
            "-ex", "break bsp_tick_clear",
            "-ex", "continue",
            "-ex", "print/x $pc",
            "-ex", "print tick_next",
            "-ex", "continue",
            "-ex", "print tick_next",
            "-ex", "stepi",
            "-ex", "print/x $pc",
            "-ex", "delete",
            "-ex", "continue",
        ],
        capture_output=True,
        text=True,
        timeout=WAIT_S,
    )  # fmt: skip
    return gdb, rthv.wait(timeout=WAIT_S)


def test_gdb_multiarch_breaks_reads_steps_and_continues_without_changing_the_run(
    tmp_path: Path,
) -> None:
    """Break in the RTOS tick, read a variable, step, continue: consoles and trace unchanged."""
    plain, debugged = tmp_path / "plain", tmp_path / "debugged"
    plain.mkdir()
    debugged.mkdir()
    subprocess.run(_run(plain), check=True, capture_output=True, timeout=WAIT_S)

    with subprocess.Popen(
        _run(debugged, "--gdb", "rtos-a:0", "--gdb-wait"),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as rthv:
        try:
            gdb, status = _debug(rthv)
        finally:
            rthv.kill()
    out = gdb.stdout
    assert "Breakpoint 1, " in out and "bsp_tick_clear" in out, out + gdb.stderr
    symbols = subprocess.run(["arm-none-eabi-nm", str(ELF)], capture_output=True, text=True)
    entry = next(
        int(line.split()[0], 16)
        for line in symbols.stdout.splitlines()
        if line.endswith(" bsp_tick_clear")
    )
    values = {
        line.split(" = ")[0]: int(line.split(" = ")[1], 0)
        for line in out.splitlines()
        if line.startswith("$")
    }
    assert entry <= values["$1"] < entry + 16  # stopped in the function (after its prologue)
    assert 0 < values["$2"] < values["$3"]  # a static of the tick code, read at two ticks
    assert values["$4"] == values["$1"] + 4  # one ARM instruction further
    assert out.count("Breakpoint 1, bsp_tick_clear") == 2
    assert "exited normally" in out, out + gdb.stderr
    assert status == 0
    assert _seen(debugged) == _seen(plain)


def test_a_bad_gdb_option_is_one_line_and_exit_2() -> None:
    """A missing port, or a VM the system does not have, is refused before anything runs."""
    for option, message in (("rtos-a", "use VM:PORT"), ("linux:1234", "no VM 'linux'")):
        result = subprocess.run(
            [sys.executable, "-m", "rthv.tools.cli", "run", str(CONFIG), "--gdb", option],
            capture_output=True,
            text=True,
            timeout=WAIT_S,
        )
        assert result.returncode == 2
        assert message in result.stderr and len(result.stderr.splitlines()) == 1


def test_parse_gdb_option() -> None:
    """VM:PORT, with port 0 meaning any free port."""
    assert parse_gdb_option("rtos-a:1234") == ("rtos-a", 1234)
    assert parse_gdb_option("a:0") == ("a", 0)
    with pytest.raises(GdbError):
        parse_gdb_option("a:70000")


def test_packets_are_framed_checked_and_acknowledged() -> None:
    """``$payload#sum`` out; in, escapes undone and each packet acknowledged with ``+``."""
    ours, theirs = socket.socketpair()
    with ours, theirs:
        connection = Connection(ours)
        connection.send("OK")
        assert theirs.recv(100) == b"$OK#9a"
        theirs.sendall(b"+$m0,4#fd$X}\x03#00")
        assert connection.receive() == "m0,4"
        assert theirs.recv(1) == b"+"
        assert connection.receive() == "X#"  # 0x7d escapes the next byte, xor 0x20
    assert TARGET_XML.count("<reg ") == 17


def test_a_hardware_breakpoint_and_ctrl_c_over_the_protocol(tmp_path: Path) -> None:
    """Z1 stops the VM at the address (S05, PC there); Ctrl-C during a continue gives S02."""
    symbols = subprocess.run(["arm-none-eabi-nm", str(ELF)], capture_output=True, text=True)
    usermain = next(
        int(line.split()[0], 16)
        for line in symbols.stdout.splitlines()
        if line.endswith(" usermain")
    )
    command = _run(tmp_path, "--gdb", "rtos-a:0", "--gdb-wait")
    command[command.index(UNTIL)] = "10s"
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as rthv:
        try:
            assert rthv.stdout is not None
            assert select.select([rthv.stdout], [], [], WAIT_S)[0]
            port = int(rthv.stdout.readline().rsplit(":", 1)[1])
            with socket.create_connection(("127.0.0.1", port), timeout=WAIT_S) as sock:
                gdb = Connection(sock)

                def ask(packet: str) -> str | None:
                    gdb.send(packet)
                    return gdb.receive()

                assert ask("?") == "S05"
                assert ask(f"Z1,{usermain:x},4") == "OK"
                assert ask("c") == "S05"
                assert ask("p f") == usermain.to_bytes(4, "little").hex()  # pc
                assert ask(f"z1,{usermain:x},4") == "OK"
                gdb.send("c")
                sock.sendall(b"\x03")
                assert gdb.receive() == "S02"
                gdb.send("k")
            assert rthv.wait(timeout=WAIT_S) == 0
        finally:
            rthv.kill()
