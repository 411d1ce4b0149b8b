"""What one VM does stays in that VM: real guest code that once crashed rthv, or was served
against the architecture, next to a hello VM that must always finish as it does alone."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from hv_support import run, vm_toml, write_system
from probe_support import HELLO, SCRIPT_IPA, results, run_probe
from rthv.board.cpu_exit import CpuExit
from rthv.board.guest_code import GuestMemoryError
from rthv.board.guest_errors import IN_FULL
from rthv.hv import traps
from rthv.hv.trace_log import RECENT_EVENTS
from rthv.tools.cli import main
from rthv.tools.cli_parser import EXIT_INTERNAL_ERROR
from rthv.tools.system import summarise
from support import boot as boot_bare
from support import guest_image


def test_thumb_udf_in_the_last_halfword_of_ram_is_the_guests_undef(tmp_path: Path) -> None:
    """A 16-bit UDF at the very end of the VM's RAM: the guest takes UNDEF, nothing reads past."""
    system = run_probe(tmp_path, 1)
    assert "probe: UND lr=0x80100000" in system.console_text("p")
    assert system.console_text("p").endswith("probe done und=1 dabt=0\n")
    assert system.hypervisor.faults == [] and system.console_text("b") == HELLO


def test_thumb_wfe_as_the_first_halfword_of_a_region_is_a_hint(tmp_path: Path) -> None:
    """WFE at a region's first byte: the hint check must not read the unmapped bytes before it."""
    system = run_probe(tmp_path, 2)
    assert "probe: wfe returned\n" in system.console_text("p")
    assert system.hypervisor.faults == [] and system.console_text("b") == HELLO


def test_counter_read_from_thumb_code_at_a_virtual_alias(tmp_path: Path) -> None:
    """MMU on, Thumb code at a VA that is no IPA reads CNTPCT: skipped through its translation."""
    system = run_probe(tmp_path, 3)
    assert "probe: cntpct advances yes\n" in system.console_text("p")
    assert system.hypervisor.faults == [] and system.console_text("b") == HELLO


def test_rom_write_from_thumb_code_at_a_virtual_alias_is_ignored(tmp_path: Path) -> None:
    """MMU on, a Thumb store to ROM through a VA alias is skipped through the translation."""
    system = run_probe(tmp_path, 4)
    assert "probe: rom unchanged yes\n" in system.console_text("p")
    assert system.hypervisor.faults == [] and system.console_text("b") == HELLO


def test_hints_after_an_undef_stay_hints(tmp_path: Path) -> None:
    """WFE and YIELD (ARM and Thumb) after an earlier UNDEF are NOPs, not UNDEFs themselves."""
    system = run_probe(tmp_path, 8)
    assert "probe: hints after undef und=1\n" in system.console_text("p")


def test_lockup_report_names_no_memory_access(tmp_path: Path) -> None:
    """A VM stuck in an exception loop is stopped; the report says where, and no bogus access."""
    system = run_probe(tmp_path, 9)
    (fault,) = system.hypervisor.faults
    line = fault.describe()
    assert line.startswith('vm "p" stopped: lockup: undefined repeats without executing')
    assert "at pc 0x80200004, cycle" in line and "address" not in line and "bytes" not in line
    assert system.console_text("b") == HELLO


def _explode(*_args: object) -> None:
    raise RuntimeError("boom")


def _break_hypercalls(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every hypercall's handler fails, in the trap path and served in place alike."""
    monkeypatch.setattr(traps, "hypercall_handler", lambda _function, _immediate: _explode)


def test_an_internal_error_stops_only_the_vm_being_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """rthv failing inside one VM's trap stops that VM, says "internal error" and where."""
    _break_hypercalls(monkeypatch)
    path = write_system(tmp_path, vm_toml("a", "hvc-probe"), vm_toml("b", "hello", uart="uart1"))
    system = run(path)
    (fault,) = system.hypervisor.faults
    assert fault.internal and fault.vm == "a"
    assert "internal error in test_containment.py:" in fault.reason
    assert "RuntimeError: boom" in fault.reason
    assert fault.describe() in system.console_text("rthv")
    assert system.console_text("b") == HELLO


def test_an_internal_error_sets_the_exit_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`rthv run` exits with its internal-error status and one line on stderr."""
    _break_hypercalls(monkeypatch)
    path = write_system(tmp_path, vm_toml("a", "hvc-probe"), vm_toml("b", "hello", uart="uart1"))
    assert main(["run", str(path)]) == EXIT_INTERNAL_ERROR
    captured = capsys.readouterr()
    assert "[b] hello done" in captured.out
    (line,) = captured.err.splitlines()
    assert line.startswith('rthv: vm "a" stopped: internal error in ')


def test_a_timer_access_served_in_place_that_cannot_be_skipped_stops_only_that_vm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unreadable guest code while a trapped CNTPCT read is served inside the run slice: the
    VM stops as through the trap path ("guest memory unreadable", not an internal error)."""

    def unreadable(_regs: object, exit: CpuExit) -> None:
        raise GuestMemoryError(f"no instruction to skip at pc {exit.pc:#010x}")

    monkeypatch.setattr(traps, "skip_instruction", unreadable)
    system = run_probe(tmp_path, 3)
    (fault,) = system.hypervisor.faults
    assert fault.vm == "p" and not fault.internal
    assert fault.reason.startswith("guest memory unreadable: no instruction to skip at pc ")
    assert system.console_text("b") == HELLO


def _hvc_cases(count: int) -> list[tuple[int, ...]]:
    """``count`` VM_ID hypercalls: immediate 0, r0 = 2."""
    return [(0, 2, 0, 0, 0)] * count


def test_the_trace_stays_bounded_without_an_export(tmp_path: Path) -> None:
    """3,000 hypercalls keep at most RECENT_EVENTS trace events, yet every one is counted."""
    system = run_probe(tmp_path, 20, _hvc_cases(3000), until_ms=200)
    assert "probe: 3000 hypercalls made\n" in system.console_text("p")
    assert results(system, 3000) == [0] * 3000  # VM_ID of the first VM
    trace = system.hypervisor.trace
    assert trace.counts["hvc"] == 3000 and len(trace) <= RECENT_EVENTS
    assert trace.dropped == sum(trace.counts.values()) - len(trace)


def test_ignored_gicd_writes_are_summarised_not_printed_each(tmp_path: Path) -> None:
    """50 writes enabling another VM's IRQ: three report lines, a count per register."""
    isenabler1_irq38 = (0x104, 0x104, 1 << 6)  # offset, 4 bytes | write, IRQ 38's bit
    system = run_probe(tmp_path, 21, [isenabler1_irq38] * 50)
    assert "probe: 50 gicd accesses made\n" in system.console_text("p")
    lines = [line for line in system.console_text("rthv").splitlines() if "ignored" in line]
    assert len(lines) == IN_FULL
    assert lines[-1].endswith("(more at GICD+0x104 are only counted)")
    vm = system.hypervisor.vms["p"]
    assert vm.counters.ignored_by_register == {"GICD+0x104": 50}
    (summary,) = [s for s in summarise(system.hypervisor) if s.name == "p"]
    assert "50 ignored accesses (GICD+0x104: 50)" in summary.line()
    assert system.console_text("b") == HELLO


def test_hvc_from_user_mode_is_undefined(tmp_path: Path) -> None:
    """HVC at PL0 is UNDEFINED: the guest's UND handler runs, no hypercall is served."""
    system = run_probe(tmp_path, 5)
    assert "probe: user hvc r0=0x00000000 und=1\n" in system.console_text("p")
    assert system.hypervisor.vms["p"].counters.hypercalls == 0


def test_timer_registers_from_user_mode_obey_cntkctl(tmp_path: Path) -> None:
    """With CNTKCTL = 0, CNTPCT read at PL0 is UNDEFINED (the timer serves PL1 only)."""
    system = run_probe(tmp_path, 6)
    assert "probe: user cntpct und=1\n" in system.console_text("p")


SMC_LINE = "probe: smc cpsr before=0xf00001d3 after=0xf00001d3 und=1\n"
# Before the fix the return from the UND skipped the MRS after the SMC, and the probe printed
# what its register held instead: "after=0x00000013", the mode alone, as issue 14 reported.


def test_smc_is_undefined_and_returns_to_the_next_instruction_with_cpsr_intact(
    tmp_path: Path,
) -> None:
    """SMC (no Security Extensions below the guest) is UNDEF at the SMC: flags, masks kept."""
    system = run_probe(tmp_path, 7)
    assert SMC_LINE in system.console_text("p")


def test_smc_bare_metal_is_the_same_undef() -> None:
    """Bare-metal the board does the same: UND with LR after the SMC, the next MRS runs."""
    booted = boot_bare(guest_image("probe"))
    booted.machine.memory.write(SCRIPT_IPA, struct.pack("<II", 7, 0))
    booted.machine.run(booted.machine.clock.from_ns(20_000_000))
    assert SMC_LINE in booted.output()
