"""What a run reports: the cause prints as the command line shows it; the records compare."""

from __future__ import annotations

from rthv.board.run_result import InterruptRecord, RunResult, StopCause


def test_a_stop_cause_prints_as_a_short_word() -> None:
    """``rthv run`` ends with ``stopped: <cause.value>``: lower case, one word, all distinct."""
    values = [cause.value for cause in StopCause]
    assert StopCause.UNTIL.value == "until" and StopCause.LOCKUP.value == "lockup"
    assert len(set(values)) == len(values)
    assert all(value.isalpha() and value == value.lower() for value in values)


def test_results_and_interrupt_records_compare_by_value() -> None:
    """Two runs that ended alike are equal; an interrupt record names no core unless told."""
    result = RunResult(StopCause.IDLE, cycles=1000, instructions=900, idle_cycles=100)
    assert result == RunResult(StopCause.IDLE, 1000, 900, 100)
    assert result != RunResult(StopCause.UNTIL, 1000, 900, 100)
    record = InterruptRecord(cycle=500, instructions=480, pc=0x8000_0040)
    assert record.core == ""
    assert record != InterruptRecord(500, 480, 0x8000_0040, "vm1")
