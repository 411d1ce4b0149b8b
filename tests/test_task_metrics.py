"""Per-task metrics: what a guest reports about its jobs, turned into SimSo-style figures."""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path

from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

import rthv
from hv_support import vm_toml, write_system
from rthv.tools.task_metrics import (
    COMPLETE,
    RELEASE,
    START,
    TaskInfo,
    TaskTrace,
    _symbol_value,
    ring_address,
    task_metrics,
)
from support import guest_image

RTOS_LINE = re.compile(
    r"rt-periodic: (\w+) T=\d+ ms C=\d+ us D=\d+ ms prio (\d+): released (\d+) jobs (\d+) "
    r"max_response (\d+) us avg_response (\d+) us misses (\d+)"
)


def test_the_per_task_metrics_of_rt_periodic_equal_what_the_rtos_prints(tmp_path: Path) -> None:
    """rt-periodic in a VM: for every task, rthv's figures are the RTOS's own summary."""
    vm = vm_toml(
        "rt", "rtos-rt-periodic-vm-a", ram="4M", devices=("timer01",), sched="priority = 0"
    )
    system = rthv.load(write_system(tmp_path, vm, head='[scheduler]\npolicy = "fixed-priority"\n'))
    system.vm("rt").console.expect(r"summary: \d+ jobs completed", within="1100ms")
    printed = {m.group(1): m.groups()[1:] for m in RTOS_LINE.finditer(system.vm("rt").console.text)}
    tasks = system.vm("rt").tasks
    assert [task.name for task in tasks] == ["tau1", "tau2", "tau3"] == list(printed)
    for task in tasks:
        assert task.response_us is not None
        low, mean, high, p99 = task.response_us
        assert low <= mean <= high and low <= p99 <= high
        seen = (task.priority, task.released, task.completed, high, int(mean), task.deadline_misses)
        assert tuple(str(value) for value in seen) == printed[task.name]
    assert tasks[2].preemptions > 0 == tasks[0].preemptions  # tau1 is the most urgent
    assert system.report["tasks"] == {"rt": [asdict(task) for task in tasks]}


def test_response_times_misses_and_preemptions_from_records() -> None:
    """Two tasks; job 1 of the slow one is preempted once and misses; one job never completes."""
    tasks = (TaskInfo("fast", 10, 10, 1), TaskInfo("slow", 20, 12, 2))
    records = (
        (RELEASE, 0, 0, 0), (RELEASE, 1, 0, 0),
        (START, 0, 0, 0), (COMPLETE, 0, 0, 3),
        (START, 1, 0, 3), (COMPLETE, 1, 0, 8),
        (RELEASE, 0, 1, 10), (START, 0, 1, 10), (COMPLETE, 0, 1, 13),
        (RELEASE, 1, 1, 20), (START, 1, 1, 20), (RELEASE, 0, 2, 30),
        (START, 0, 2, 30), (COMPLETE, 0, 2, 31), (COMPLETE, 1, 1, 35),
        (RELEASE, 0, 3, 40),
        (RELEASE, 1, 2, 40), (START, 1, 2, 60),
    )  # fmt: skip
    fast, slow = task_metrics("vm", TaskTrace(tasks, records, 0))
    assert (fast.released, fast.completed, fast.response_us) == (4, 3, (1, 7 / 3, 3, 3))
    assert fast.deadline_misses == 1  # job 3 released at 40, deadline 50 passed by 60
    assert (slow.released, slow.completed, slow.response_us) == (3, 2, (8, 11.5, 15, 15))
    assert slow.deadline_misses == 2  # job 1 took 15 > 12; job 2 never completed by 52
    assert (fast.preemptions, slow.preemptions) == (0, 1)


def test_a_response_across_the_counter_wrap_is_still_right() -> None:
    """The guest's counter is 32 bits: a release just before the wrap, completion after it."""
    records = ((RELEASE, 0, 0, 0xFFFF_FFF0), (START, 0, 0, 0xFFFF_FFF0), (COMPLETE, 0, 0, 0x10))
    (task,) = task_metrics("vm", TaskTrace((TaskInfo("t", 100, 100, 1),), records, 0))
    assert task.response_us == (0x20, 0x20, 0x20, 0x20)


def test_images_without_the_symbol_report_no_tasks() -> None:
    """The self-test image does not use the record: no address, no tasks."""
    assert ring_address([guest_image("rtos-selftest")]) is None
    assert ring_address([guest_image("rtos-rt-periodic-vm-a")]) is not None


def test_symbol_values_are_pyelftools_own() -> None:
    """The raw scan of .symtab finds what pyelftools finds, and nothing for a missing name."""
    with guest_image("rtos-rt-periodic-vm-a").open("rb") as stream:
        elf = ELFFile(stream)
        symbols = elf.get_section_by_name(".symtab")
        assert isinstance(symbols, SymbolTableSection)
        first: dict[str, int] = {}
        for symbol in symbols.iter_symbols():
            first.setdefault(symbol.name, symbol["st_value"])
        names = [name for name in first if name]
        assert "rthv_task_ring" in names and len(names) > 100
        for name in names:
            assert _symbol_value(elf, name) == first[name], name
        assert _symbol_value(elf, "no_such_symbol") is None
