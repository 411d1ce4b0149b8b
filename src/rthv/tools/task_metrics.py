"""Per-task metrics at the guest's level: what a guest's periodic tasks did, job by job.

A guest reports its tasks in a record in its own RAM at the symbol ``rthv_task_ring``
(guests/rtos/include/rthv_tasks.h, docs/task-metrics.md). At the end of a run rthv finds the
symbol in the VM's images, reads the record through the VM's memory, and turns the releases,
starts and completions into response times, deadline misses and preemptions per task.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from rthv.hv.hypervisor import Hypervisor
from rthv.tools.guest_memory import GuestMemory, GuestMemoryError

SYMBOL = "rthv_task_ring"
MAGIC = 0x52545452  # "RTTR"
VERSION = 1
HEADER = struct.Struct("<5I")  # magic, version, ntasks, capacity, head
TASK = struct.Struct("<IIi12s")  # period_us, deadline_us, priority, name
RECORD = struct.Struct("<4I")  # event, task, job, time_us
MAX_TASKS = 8
RELEASE, START, COMPLETE = 1, 2, 3
WRAP = 1 << 32  # the guest's 1 MHz counter is 32 bits
_SYMBOL32 = struct.Struct("<II8x")  # Elf32_Sym: st_name, st_value (then size, info, other, shndx)


@dataclass(frozen=True)
class TaskInfo:
    """A task as the guest described it."""

    name: str
    period_us: int
    deadline_us: int
    priority: int


@dataclass(frozen=True)
class TaskTrace:
    """What a guest reported: its tasks and the records still in its ring."""

    tasks: tuple[TaskInfo, ...]
    records: tuple[tuple[int, int, int, int], ...]  # (event, task, job, time_us), oldest first
    lost: int  # records overwritten before the run ended


@dataclass(frozen=True)
class TaskMetrics:
    """One task's jobs: response times (us), deadline misses and preemptions."""

    vm: str
    name: str
    period_us: int
    deadline_us: int
    priority: int
    released: int
    completed: int
    response_us: tuple[int, float, int, int] | None  # min, mean, max, p99; None: no job done
    deadline_misses: int
    preemptions: int

    def line(self) -> str:
        """One line for the end of ``rthv run``."""
        response = "no job completed"
        if self.response_us is not None:
            low, mean, high, p99 = self.response_us
            response = f"response {low}/{mean:.1f}/{high}/{p99} us (min/mean/max/p99)"
        return (
            f"{self.vm}/{self.name}: T={self.period_us} us D={self.deadline_us} us "
            f"prio {self.priority}: {self.released} released, {self.completed} completed, "
            f"{response}, {self.deadline_misses} deadline misses, {self.preemptions} preemptions"
        )


def ring_address(images: list[Path]) -> int | None:
    """Where ``rthv_task_ring`` is, from the symbol tables of a VM's ELF images."""
    for image in images:
        try:
            with image.open("rb") as stream:
                found = _symbol_value(ELFFile(stream), SYMBOL)
        except (ELFError, OSError, struct.error):
            continue
        if found is not None:
            return found
    return None


def _symbol_value(elf: ELFFile, name: str) -> int | None:
    """The value of the symbol ``name`` in a 32-bit little-endian ELF's ``.symtab``.

    The table is scanned as raw entries: pyelftools would decode every symbol of it first.
    """
    symbols = elf.get_section_by_name(".symtab")
    if not isinstance(symbols, SymbolTableSection) or elf.elfclass != 32 or not elf.little_endian:
        return None
    names = elf.get_section(symbols["sh_link"]).data()
    wanted = name.encode() + b"\0"
    offsets = set()  # every offset the name can be read at (a linker shares string tails)
    at = names.find(wanted)
    while at >= 0:
        offsets.add(at)
        at = names.find(wanted, at + 1)
    for st_name, st_value in _SYMBOL32.iter_unpack(symbols.data()):
        if st_name in offsets:
            return int(st_value)
    return None


def read_task_trace(memory: GuestMemory, address: int) -> TaskTrace | None:
    """The record at ``address`` in the VM's memory; None if the guest never filled it in."""
    magic, version, ntasks, capacity, head = HEADER.unpack(memory.read(address, HEADER.size))
    if magic != MAGIC or version != VERSION or not 0 < ntasks <= MAX_TASKS or capacity == 0:
        return None
    infos = memory.read(address + HEADER.size, TASK.size * MAX_TASKS)
    tasks = []
    for index in range(ntasks):
        period, deadline, priority, name = TASK.unpack_from(infos, index * TASK.size)
        tasks.append(
            TaskInfo(name.split(b"\0")[0].decode(errors="replace"), period, deadline, priority)
        )
    ring = address + HEADER.size + TASK.size * MAX_TASKS
    kept = min(head, capacity)
    raw = memory.read(ring, RECORD.size * capacity)
    first = head - kept
    records = tuple(
        RECORD.unpack_from(raw, ((first + n) % capacity) * RECORD.size) for n in range(kept)
    )
    return TaskTrace(tuple(tasks), records, head - kept)


def task_metrics(vm: str, trace: TaskTrace) -> list[TaskMetrics]:
    """Per task: jobs released and completed, response times, misses, preemptions.

    A job misses its deadline when its response exceeds the relative deadline, or when it was
    released and never completed although its deadline passed before the last record. A
    preemption is a release of a more urgent task (lower priority number) while the job ran
    (between its start and its completion).
    """
    releases: dict[tuple[int, int], int] = {}
    starts: dict[tuple[int, int], int] = {}
    completions: dict[tuple[int, int], int] = {}
    by_event = {RELEASE: releases, START: starts, COMPLETE: completions}
    for event, task, job, time in trace.records:
        if event in by_event and task < len(trace.tasks):
            by_event[event][(task, job)] = time
    last = trace.records[-1][3] if trace.records else 0
    result = []
    for index, info in enumerate(trace.tasks):
        responses = sorted(
            (completions[key] - released) % WRAP
            for key, released in releases.items()
            if key[0] == index and key in completions
        )
        late = sum(1 for response in responses if response > info.deadline_us)
        pending = sum(
            1
            for key, released in releases.items()
            if key[0] == index
            and key not in completions
            and (last - released) % WRAP > info.deadline_us
        )
        result.append(
            TaskMetrics(
                vm,
                info.name,
                info.period_us,
                info.deadline_us,
                info.priority,
                sum(1 for key in releases if key[0] == index),
                len(responses),
                _summary(responses),
                late + pending,
                _preemptions(index, trace, releases, starts, completions),
            )
        )
    return result


def _summary(responses: list[int]) -> tuple[int, float, int, int] | None:
    if not responses:
        return None
    p99 = responses[max(0, math.ceil(0.99 * len(responses)) - 1)]  # nearest rank
    return responses[0], sum(responses) / len(responses), responses[-1], p99


def _preemptions(
    index: int,
    trace: TaskTrace,
    releases: dict[tuple[int, int], int],
    starts: dict[tuple[int, int], int],
    completions: dict[tuple[int, int], int],
) -> int:
    priority = trace.tasks[index].priority
    urgent = [
        time for (task, _job), time in releases.items() if trace.tasks[task].priority < priority
    ]
    count = 0
    for key, started in starts.items():
        if key[0] == index and key in completions:
            span = (completions[key] - started) % WRAP
            count += sum(1 for time in urgent if 0 < (time - started) % WRAP < span)
    return count


def system_task_metrics(hv: Hypervisor) -> dict[str, list[TaskMetrics]]:
    """Each VM's per-task metrics, for the VMs whose guest reports its tasks."""
    found: dict[str, list[TaskMetrics]] = {}
    for name, vm in hv.vms.items():
        address = ring_address([image.path for image in vm.config.images])
        if address is None:
            continue
        try:
            trace = read_task_trace(GuestMemory(vm, hv.machine), address)
        except GuestMemoryError:
            continue
        if trace is not None:
            found[name] = task_metrics(name, trace)
    return found
