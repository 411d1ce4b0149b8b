"""The soak run's mechanism, in short: samples at each virtual step, flat figures measured."""

from __future__ import annotations

from pathlib import Path

from rthv.hv.trace_log import RECENT_EVENTS
from rthv.tools.soak import main, run_soak, soak_markdown

SOAK = Path(__file__).resolve().parents[1] / "examples" / "soak.toml"


def test_a_short_soak_samples_each_step_and_stays_bounded() -> None:
    """30 ms in 10 ms steps: four samples; queue and trace bounded; everyone made progress."""
    result = run_soak(SOAK, 0.03, sample_every_s=0.01)
    assert [round(s.virtual_s, 3) for s in result.samples] == [0.0, 0.01, 0.02, 0.03]
    last = result.samples[-1]
    assert last.faults == 0 and last.hypercalls > 0 and last.console_bytes > 0
    assert all(s.events_queued <= 16 for s in result.samples)
    assert all(s.trace_events_held <= RECENT_EVENTS for s in result.samples)
    instructions = [s.instructions for s in result.samples]
    assert instructions == sorted(instructions) and instructions[-1] > instructions[1]
    assert set(result.growth()) == {"rss_kib", "events_queued", "trace_events_held"}
    assert soak_markdown(result).count("\n") == len(result.samples) + 1


def test_the_command_writes_the_samples(tmp_path: Path) -> None:
    """python -m rthv.tools.soak writes JSON with every sample and the growth."""
    out = tmp_path / "soak.json"
    assert main([str(SOAK), "--seconds", "0.01", "--json", str(out)]) == 0
    assert '"growth_after_first_second"' in out.read_text()
