"""A core's exit: its kind names the reason as reports print it; unused fields stay neutral."""

from __future__ import annotations

import pytest

from rthv.board.cpu_exit import CpuExit, ExitKind
from rthv.board.decode import CoprocessorAccess


def test_an_exit_kind_reads_as_the_reports_print_it() -> None:
    """Lock-up lines and PSCI records print ``kind.value``: short, lower case, all distinct."""
    values = [kind.value for kind in ExitKind]
    assert ExitKind.DATA_ABORT.value == "data-abort"
    assert ExitKind.IRQ_UNMASKED.value == "irq-unmasked"
    assert len(set(values)) == len(values)
    assert all(value == value.lower() and " " not in value for value in values)


def test_an_exit_leaves_what_its_kind_does_not_use_at_neutral_values() -> None:
    """An HVC exit carries its immediate; the abort and coprocessor fields stay empty."""
    exit = CpuExit(ExitKind.HVC, 0x8000_0010, False, hvc_imm=0x42)
    assert (exit.kind, exit.pc, exit.thumb, exit.hvc_imm) == (
        ExitKind.HVC,
        0x8000_0010,
        False,
        0x42,
    )
    assert (exit.address, exit.write, exit.size, exit.value) == (0, False, 0, 0)
    assert not exit.unmapped and not exit.permission
    assert exit.coprocessor is None and exit.fault_status is None


def test_an_exit_is_immutable_and_compares_by_value() -> None:
    """Two exits with the same fields are equal; a field cannot be changed afterwards."""
    access = CoprocessorAccess(15, 0, 14, 3, 1, rt=0, rt2=0, is64=False, read=True)  # CNTV_CTL
    first = CpuExit(ExitKind.COPROCESSOR, 0x100, True, coprocessor=access)
    assert first == CpuExit(ExitKind.COPROCESSOR, 0x100, True, coprocessor=access)
    assert first != first._replace(pc=0x104)
    with pytest.raises(AttributeError):
        first.pc = 0x104  # type: ignore[misc]
