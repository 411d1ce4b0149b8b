"""The trap micro-benchmark and the workload timings: their plumbing, never their times."""

from __future__ import annotations

import gc
from pathlib import Path

from rthv.tools.trap_bench import (
    TRAP_KINDS,
    TRAP_PHASES,
    Workload,
    cpu_seconds,
    time_quanta,
    time_trap_phases,
    time_workload,
    trap_kinds,
    traps_markdown,
    workloads_markdown,
)
from support import guest_image


def test_every_phase_of_the_trap_guest_is_timed() -> None:
    """trapbench in a VM announces its five phases; each gets a host time per round."""
    figures = time_trap_phases(guest_image("trapbench"))
    assert sorted(figures) == sorted(TRAP_PHASES)
    assert all(us > 0 for us in figures.values())


def test_two_vms_switch_at_every_quantum_and_one_vm_never() -> None:
    """1 ms of 1 us quanta: two VMs switch 1,000 times (less the first entries), one VM never;
    both run a guest instruction every cycle (the switch is charged no cycles here)."""
    compute = guest_image("compute")
    instructions, switches, _seconds = time_quanta(compute, 2, "1ms")
    assert (instructions, switches) == (1_000_000, 998)
    instructions, switches, _seconds = time_quanta(compute, 1, "1ms")
    assert (instructions, switches) == (1_000_000, 0)


def test_each_kind_is_reported_the_irq_without_its_spin() -> None:
    """The kinds come from the phases; the spin loop is taken out of the physical IRQ."""
    phases = {"hvc": 20.0, "gicd": 18.0, "wfi": 140.0, "irq": 90.0, "spin": 5.0}
    kinds = trap_kinds(phases, (30.0, 24.0))
    assert list(kinds) == list(TRAP_KINDS)
    assert kinds == {
        "hvc": 20.0,
        "gicd": 18.0,
        "irq": 85.0,
        "expiry": 30.0,
        "switch": 24.0,
        "wfi": 140.0,
    }


def test_a_bare_metal_workload_counts_its_instructions() -> None:
    """hello, run bare-metal until idle: its 303 instructions and some host time."""
    instructions, seconds = time_workload(Workload("hello", guest_image("hello")))
    assert instructions == 303
    assert seconds >= 0


def test_a_system_workload_runs_to_its_virtual_time() -> None:
    """The boot example for 1 ms: the instructions its VM ran in that time."""
    example = Path(__file__).resolve().parents[1] / "examples" / "boot-vm.toml"
    instructions, _seconds = time_workload(Workload("boot-vm", example, "1ms"))
    assert instructions > 0


def test_the_tables_name_each_trap_kind_and_workload() -> None:
    """One row per kind, with its description; one row per workload, with separators."""
    traps = traps_markdown({"hvc": 12.5, "wfi": 80.0}).splitlines()
    assert traps[2:] == [
        f"| {TRAP_KINDS['hvc']} | 12.5 us |",
        f"| {TRAP_KINDS['wfi']} | 80.0 us |",
    ]
    rows = workloads_markdown(
        {"two-rtos": {"instructions": 1234567, "host_seconds": 0.5, "mips": 2.5}}
    )
    assert rows.splitlines()[2] == "| two-rtos | 1,234,567 | 0.5 s | 2.5 |"


def test_a_timed_run_is_not_charged_for_an_earlier_runs_garbage() -> None:
    freed: list[str] = []

    class Engine:  # an earlier run's engine, held in a cycle until the collector finds it
        def __init__(self) -> None:
            self.me = self

        def __del__(self) -> None:
            freed.append("earlier engine")

    Engine()
    gc.disable()  # (no collection may happen on its own before the timed run)
    try:
        value, seconds = cpu_seconds(lambda: list(freed))
    finally:
        gc.enable()
    assert value == ["earlier engine"]
    assert seconds >= 0
