"""Random machine code in a VM (guests/crashme) never takes rthv down: every seed's run ends
without an exception out of rthv and without an internal error, the hello VM beside it prints
exactly what it prints alone, and the crashme VM finished its batches, was stopped with a fault
report line, or is still running random code at the time limit.

`make test` runs SEEDS seeds of BATCHES batches; RTHV_CRASHME_SEEDS and RTHV_CRASHME_BATCHES
raise them (the campaign of docs/RELIABILITY.md runs each seed in a process of its own:
``tests/crashme_support.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from crashme_support import Outcome, run_seed

SEEDS = int(os.environ.get("RTHV_CRASHME_SEEDS", "6"))
BATCHES = int(os.environ.get("RTHV_CRASHME_BATCHES", "2000"))
WORDS = (16, 64, 256)  # random words per batch, by seed
UNTIL = "100ms"  # virtual time: far more than the batches need (about 8 us each)
# What ends a batch: an exception of one of these kinds, or a jump to the image's entry.
ENDS = ("und", "svc", "pabt", "dabt", "irq", "fiq", "other", "reentered")


def _run(tmp_path: Path, seed: int) -> Outcome:
    return run_seed(tmp_path, seed, BATCHES, WORDS[seed % len(WORDS)], UNTIL)


def _counts(outcome: Outcome) -> dict[str, int]:
    fields = (field.split("=") for field in outcome.counts.split()[1:])
    return {name: int(value) for name, value in fields}


@pytest.mark.parametrize("seed", range(1, SEEDS + 1))
def test_random_code_never_takes_rthv_down(tmp_path: Path, seed: int) -> None:
    """No exception, no internal error; the peer untouched; the VM done, stopped or running."""
    outcome = _run(tmp_path, seed)
    assert outcome.outcome != "internal", outcome.fault
    assert "internal error" not in outcome.report
    assert outcome.hello_ok
    assert outcome.instructions > 0
    if outcome.outcome == "done":
        counts = _counts(outcome)
        assert sum(counts[end] for end in ENDS) == BATCHES  # each batch ends once
    elif outcome.outcome == "stopped":
        assert outcome.fault.startswith('vm "c" stopped: ')
        assert outcome.fault in outcome.report.splitlines()
    else:
        assert outcome.outcome == "running"
        assert "crashme done" not in outcome.console


def test_a_seed_runs_the_same_every_time(tmp_path: Path) -> None:
    """The same seed twice: the same consoles, reports and instruction counts; all batches run."""
    first = _run(tmp_path / "first", 1)
    second = _run(tmp_path / "second", 1)
    assert first == second
    assert first.outcome == "done"
    counts = _counts(first)
    assert sum(counts[end] for end in ENDS) == BATCHES
    assert counts["und"] and counts["dabt"] and counts["pabt"]  # it did run random code
    assert first.injected > 0  # and the VM's Stage-2 faults were delivered into it
