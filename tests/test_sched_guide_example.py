"""The plug-in guide's example policy, extracted from docs/scheduler-plugins.md and run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rthv.hv.scheduling import PolicyParameterError, load_policy
from sched_harness import MS, Sim

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "scheduler-plugins.md"
BLOCK = re.compile(
    r"<!-- guide-example:begin -->\s*```python\n(?P<code>.*?)```\s*<!-- guide-example:end -->",
    re.DOTALL,
)


def guide_policy_file(folder: Path) -> Path:
    """Write the guide's example code to ``folder/my_policy.py``."""
    found = BLOCK.findall(GUIDE.read_text())
    assert len(found) == 1
    path = folder / "my_policy.py"
    path.write_text(found[0])
    return path


def test_the_guide_example_schedules_as_the_guide_says(tmp_path: Path) -> None:
    """hi preempts b mid-slice at 4 ms; equals a and b alternate in 2 ms slices."""
    guide_policy_file(tmp_path)
    policy = load_policy(
        "my_policy.py:PriorityRoundRobin", base_dir=tmp_path, params={"slice_us": 2000}
    )
    assert (policy.name, policy.origin) == (
        "priority-round-robin",
        "my_policy.py:PriorityRoundRobin",
    )
    sim = Sim(policy)
    sim.add("hi", {"priority": 0}, work=1 * MS)
    sim.add("a", {"priority": 1}, work=None)
    sim.add("b", {"priority": 1}, work=None)
    sim.wake("hi", 4 * MS, 1 * MS)
    assert sim.run(10 * MS) == [
        (0, "hi"),
        (1 * MS, "a"),
        (3 * MS, "b"),
        (4 * MS, "hi"),
        (5 * MS, "b"),
        (7 * MS, "a"),
        (9 * MS, "b"),
    ]
    assert sim.vms["a"].params == 1


def test_the_guide_example_refuses_a_missing_priority(tmp_path: Path) -> None:
    """Its allocate() uses ParamReader: a missing priority is named."""
    guide_policy_file(tmp_path)
    sim = Sim(load_policy("my_policy.py:PriorityRoundRobin", base_dir=tmp_path))
    with pytest.raises(
        PolicyParameterError, match=r"^VM 'x': priority-round-robin: priority: missing"
    ):
        sim.add("x", {})
