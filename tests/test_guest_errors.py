"""Guest errors: device accesses the models lack are counted, said a few times, and summarised,
bare-metal and under the hypervisor, with real guest code making them."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from probe_support import HELLO, SCRIPT_IPA, results, run_probe
from rthv.board.guest_errors import IN_FULL, GuestError, GuestErrorLog, first_lines
from rthv.board.pl011 import UART_FR
from rthv.tools import bare, cli
from rthv.tools.system import summarise
from support import guest_image

PROBE_UART_TABLE = 22
ITCR_READ = (0x080, 4, 0)  # offset, width (| 0x100 for a write), value: a register not modelled
FR_WRITE = (UART_FR, 0x104, 0xFF)


def test_the_log_counts_per_core_and_register_and_tells_every_observer() -> None:
    log = GuestErrorLog()
    seen: list[tuple[str, int]] = []
    log.observers.append(lambda error, count: seen.append((error.register, count)))
    sink_a = log.sink(lambda: "a")
    sink_a(GuestError("uart0", "read", 0x81, 1, "no such register"))
    sink_a(GuestError("uart0", "read", 0x80, 4, "no such register"))
    log.sink(lambda: "b")(GuestError("uart0", "write", 0x18, 4, "read-only register"))
    assert seen == [("uart0+0x080", 1), ("uart0+0x080", 2), ("uart0+0x018", 1)]
    assert log.counts == {("a", "uart0+0x080"): 2, ("b", "uart0+0x018"): 1}
    assert log.total == 3 and log.by_register() == {"uart0+0x080": 2, "uart0+0x018": 1}


def test_first_lines_says_the_first_few_per_register_then_only_counts() -> None:
    said: list[str] = []
    observe = first_lines(said.append, "guest error: ")
    error = GuestError("timer0", "write", 0x04, 4, "read-only register")
    for seen in range(1, IN_FULL + 3):
        observe(error, seen)
    assert len(said) == IN_FULL
    assert said[0] == "guest error: 4-byte write at timer0+0x004 (read-only register, ignored)"
    assert said[-1].endswith("(more at timer0+0x004 are only counted)")


def test_a_vm_touching_registers_its_uart_lacks_is_told_and_summarised(tmp_path: Path) -> None:
    """Five reads of an unmodelled UART register and a write to FR: they read 0 and change
    nothing, the first three of a register are reported with the VM's name, every one is
    counted in the VM's summary, and the VM beside it is undisturbed."""
    system = run_probe(tmp_path, PROBE_UART_TABLE, [ITCR_READ] * 5 + [FR_WRITE])
    assert "probe: 6 uart accesses made\n" in system.console_text("p")
    assert results(system, 6) == [0] * 6
    lines = [line for line in system.hypervisor_console.splitlines() if "uart0+" in line]
    assert len(lines) == IN_FULL + 1
    assert lines[0].startswith('vm "p": ignored 4-byte read at uart0+0x080 (no such register')
    assert lines[IN_FULL - 1].endswith("(more at uart0+0x080 are only counted)")
    assert "4-byte write at uart0+0x018 (read-only register, ignored)" in lines[-1]
    (summary,) = [s for s in summarise(system.hypervisor) if s.name == "p"]
    assert "6 ignored accesses (uart0+0x018: 1, uart0+0x080: 5)" in summary.line()
    assert system.console_text("b") == HELLO


def test_run_bare_reports_guest_errors_and_their_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bare-metal, ``rthv run-bare`` says the first errors of a register on stderr and the
    total per register in its closing lines."""
    cases = [ITCR_READ] * 4
    words = [PROBE_UART_TABLE, len(cases), *(w for case in cases for w in case)]
    real_boot = bare.boot_bare

    def boot_with_script(*args: object, **kwargs: object) -> object:
        machine = real_boot(*args, **kwargs)  # type: ignore[arg-type]
        machine.memory.write(SCRIPT_IPA, struct.pack(f"<{len(words)}I", *words))
        return machine

    monkeypatch.setattr(bare, "boot_bare", boot_with_script)
    assert cli.main(["run-bare", str(guest_image("probe")), "--until", "20ms"]) == 0
    out, err = capsys.readouterr()
    assert "probe: 4 uart accesses made" in out
    assert "[rthv] 4 guest errors (uart0+0x080: 4)" in out
    said = [line for line in err.splitlines() if "guest error" in line]
    assert len(said) == IN_FULL
    assert said[0] == "[rthv] guest error: 4-byte read at uart0+0x080 (no such register, read as 0)"
