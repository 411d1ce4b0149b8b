"""Policy registry: built-in names, policy-level parameters, plug-ins loaded from a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from rthv.hv.scheduling import (
    BUILTIN_POLICIES,
    Arinc653Policy,
    EdfPolicy,
    FixedPriorityPolicy,
    PolicyParameterError,
    RoundRobinPolicy,
    RtdsPolicy,
    SchedulerPluginError,
    load_policy,
    parse_policy_spec,
)
from rthv.hv.scheduling.registry import resolve_policy
from sched_harness import MS, US, Sim

TESTS = Path(__file__).resolve().parent
PLUGIN = "plugins/lifo_wake.py:MostRecentlyWokenFirst"


def test_builtin_names_map_to_their_classes() -> None:
    """The explicit registry lists the five built-ins under their own names."""
    assert {
        "fixed-priority": FixedPriorityPolicy,
        "edf": EdfPolicy,
        "round-robin": RoundRobinPolicy,
        "rtds": RtdsPolicy,
        "arinc653": Arinc653Policy,
    } == BUILTIN_POLICIES
    assert all(cls.name == name for name, cls in BUILTIN_POLICIES.items())


def test_policy_level_parameters_become_constructor_keywords() -> None:
    """[scheduler.params] quantum_us = 250 builds RoundRobinPolicy(quantum_us=250)."""
    policy = load_policy("round-robin", base_dir=TESTS, params={"quantum_us": 250})
    assert isinstance(policy, RoundRobinPolicy)
    assert (policy.quantum_us, policy.origin) == (250, None)
    frame = load_policy("arinc653", base_dir=TESTS, params={"frame": [["a", 10]]})
    assert isinstance(frame, Arinc653Policy) and frame.major_frame_us == 10


@pytest.mark.parametrize(
    ("spec", "params", "message"),
    [
        (
            "round-robin",
            {"quantum": 5},
            "scheduler policy 'round-robin': unknown policy parameter 'quantum' "
            "(accepted: quantum_us)",
        ),
        ("arinc653", {}, "scheduler policy 'arinc653': missing required policy parameter 'frame'"),
        ("round-robin", {"quantum_us": 0}, "round-robin: quantum_us: must be >= 1, got 0"),
        (
            "edf",
            {"period_us": 5},
            "scheduler policy 'edf': unknown policy parameter 'period_us' (accepted: none)",
        ),
    ],
)
def test_bad_policy_parameters_are_refused(
    spec: str, params: dict[str, object], message: str
) -> None:
    """Unknown, missing and out-of-range policy-level parameters fail with one line."""
    with pytest.raises(PolicyParameterError) as caught:
        load_policy(spec, base_dir=TESTS, params=params)
    assert str(caught.value) == message


def test_an_unknown_name_lists_the_choices() -> None:
    """Neither a built-in nor a file.py:Class spec."""
    with pytest.raises(SchedulerPluginError) as caught:
        load_policy("lottery", base_dir=TESTS)
    assert str(caught.value) == (
        "unknown scheduler policy 'lottery': use a built-in (fixed-priority, edf, round-robin, "
        "rtds, arinc653) or a plug-in as path/to/file.py:ClassName"
    )


def test_a_plugin_file_is_loaded_by_path_and_schedules() -> None:
    """The user's most-recently-woken-first policy: b's wake-up preempts a, a resumes after."""
    policy = load_policy(PLUGIN, base_dir=TESTS, params={"shelter": "c"})
    assert (policy.name, policy.origin) == ("most-recently-woken-first", PLUGIN)
    sim = Sim(policy)
    sim.add("a", work=2 * MS)
    sim.add("b", work=0)
    sim.add("c", work=0)
    sim.wake("b", 500 * US, 300 * US)
    sim.wake("c", 1 * MS, 400 * US)
    sim.wake("b", 1_200 * US, 100 * US)
    assert sim.run(3 * MS) == [
        (0, "c"),
        (0, "b"),
        (0, "a"),
        (500 * US, "b"),
        (800 * US, "a"),
        (1 * MS, "c"),
        (1_400 * US, "b"),
        (1_500 * US, "a"),
        (2 * MS + 800 * US, None),
    ]


def write(folder: Path, name: str, text: str) -> Path:
    """Write a plug-in file into ``folder``."""
    path = folder / name
    path.write_text(text)
    return path


HEADER = "from rthv.hv.scheduling import SchedulerPolicy\n"


def test_loading_problems_give_one_line_messages(tmp_path: Path) -> None:
    """Missing file, syntax error, no such class, not a policy, abstract, failing import/init."""
    write(tmp_path, "syntax.py", "def broken(:\n")
    write(tmp_path, "empty.py", HEADER + "class Other(SchedulerPolicy):\n    pass\n")
    write(tmp_path, "plain.py", "class Plain:\n    pass\n")
    write(tmp_path, "half.py", HEADER + "class Half(SchedulerPolicy):\n    name = 'half'\n")
    write(tmp_path, "explodes.py", "import no_such_module_here\n")
    init = "    def __init__(self):\n        raise RuntimeError('no config')\n"
    concrete = "from rthv.hv.scheduling import FixedPriorityPolicy\n"
    write(
        tmp_path, "ctor.py", concrete + "class Ctor(FixedPriorityPolicy):\n    name = ''\n" + init
    )
    cases = {
        "missing.py:X": f"file not found: {tmp_path / 'missing.py'}",
        "syntax.py:X": f"syntax error in {tmp_path / 'syntax.py'} line 1: invalid syntax",
        "empty.py:Mine": f"{tmp_path / 'empty.py'} defines no class 'Mine' (policies there: Other)",
        "plain.py:Plain": "'Plain' is not a subclass of rthv.hv.scheduling.SchedulerPolicy",
        "explodes.py:X": (
            f"importing {tmp_path / 'explodes.py'} raised ModuleNotFoundError: "
            "No module named 'no_such_module_here'"
        ),
    }
    for spec, problem in cases.items():
        with pytest.raises(SchedulerPluginError) as caught:
            load_policy(spec, base_dir=tmp_path)
        assert str(caught.value) == f"scheduler plug-in {spec!r}: {problem}"
        error = caught.value
        assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    with pytest.raises(SchedulerPluginError) as caught:
        load_policy("half.py:Half", base_dir=tmp_path)
    assert str(caught.value) == (
        "scheduler policy 'half' (half.py:Half): class Half does not implement "
        "allocate, block, enque, init, schedule, yield_"
    )
    with pytest.raises(SchedulerPluginError) as caught:
        load_policy("ctor.py:Ctor", base_dir=tmp_path)
    assert str(caught.value) == (
        "scheduler policy 'Ctor' (ctor.py:Ctor): its constructor raised RuntimeError: no config"
    )


def test_a_plugin_failing_at_run_time_is_named_with_its_file(tmp_path: Path) -> None:
    """The run-time error names the plug-in's policy name, file and class."""
    source = (TESTS / "plugins" / "lifo_wake.py").read_text()
    source += "\n\nclass Broken(MostRecentlyWokenFirst):\n    name = 'broken'\n\n"
    source += "    def schedule(self) -> VmHandle | None:\n        return self.stack[1 // 0]\n"
    write(tmp_path, "broken.py", source)
    sim = Sim(load_policy("broken.py:Broken", base_dir=tmp_path))
    sim.add("a", work=None)
    with pytest.raises(SchedulerPluginError) as caught:
        sim.run(1 * MS)
    assert str(caught.value) == (
        "scheduler policy 'broken' (broken.py:Broken) failed in schedule(): "
        "raised ZeroDivisionError: integer division or modulo by zero"
    )


def test_a_policy_added_to_the_one_list_is_known_to_the_configuration_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A built-in is its module and its line in BUILTIN_POLICIES: the configuration accepts the
    name and the hypervisor runs it, with nothing else to change."""
    from hv_support import boot, vm_toml, write_system

    lifo = resolve_policy(parse_policy_spec(PLUGIN, base_dir=TESTS))
    monkeypatch.setitem(BUILTIN_POLICIES, lifo.name, lifo)
    head = f'[scheduler]\npolicy = "{lifo.name}"\n'
    system = boot(write_system(tmp_path, vm_toml("a", "hello"), head=head))
    system.hypervisor.run()
    policy = system.hypervisor.scheduler.policy
    assert isinstance(policy, lifo) and policy.origin is None
    assert system.console_text("a").endswith("hello done\n")
