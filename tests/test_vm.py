"""A VM's fault report and how a faulting access is described."""

from __future__ import annotations

from pathlib import Path

import pytest

from hv_support import boot, vm_toml, write_system
from rthv.board.cpu_exit import CpuExit, ExitKind
from rthv.hv.vm import LatencyStats, VmFault, access_of


def test_describe_is_one_line_with_padded_addresses() -> None:
    """Name, reason, 8-digit PC and address, the access in parentheses, the cycle."""
    fault = VmFault("a", "Stage-2 translation fault", 0x10, 0x1C0A_0018, "read of 4 bytes", 1234)
    assert fault.describe() == (
        'vm "a" stopped: Stage-2 translation fault at pc 0x00000010, '
        "address 0x1c0a0018 (read of 4 bytes), cycle 1234"
    )


@pytest.mark.parametrize(
    ("exit", "text"),
    [
        (CpuExit(ExitKind.PREFETCH_ABORT, 0x3000_0000, False, address=0x3000_0000), "execute"),
        (
            CpuExit(ExitKind.PREFETCH_ABORT, 0x3000_0000, False, write=True, size=4),
            "execute",
        ),
        (CpuExit(ExitKind.DATA_ABORT, 0x8000_0004, False, size=4), "read of 4 bytes"),
        (CpuExit(ExitKind.DATA_ABORT, 0x8000_0004, False, size=1), "read of 1 bytes"),
        (
            CpuExit(ExitKind.DATA_ABORT, 0x8000_0004, False, write=True, size=2, value=7),
            "write of 2 bytes",
        ),
    ],
    ids=["fetch", "fetch-ignores-write", "read", "byte-read", "halfword-write"],
)
def test_access_of_names_execute_read_or_write_with_the_width(exit: CpuExit, text: str) -> None:
    """A prefetch abort is an execute; a data abort a read or write of its size."""
    assert access_of(exit) == text


def test_a_vm_is_named_by_its_config_and_stopped_once_it_has_a_fault(tmp_path: Path) -> None:
    """``name`` is the configured name; ``stopped`` follows ``fault``."""
    system = boot(write_system(tmp_path, vm_toml("first", "hello")))
    vm = system.hypervisor.vms["first"]
    assert (vm.name, vm.index, vm.stopped, vm.fault) == ("first", 0, False, None)
    vm.fault = VmFault("first", "test", 0, 0, "execute", 0)
    assert vm.stopped


def test_latency_stats_keep_count_min_mean_and_max() -> None:
    """Samples of 10, 30 and 20 cycles: 3 samples, min 10, mean 20, max 30."""
    stats = LatencyStats()
    assert (stats.count, stats.minimum, stats.mean) == (0, None, 0.0)
    for cycles in (10, 30, 20):
        stats.add(cycles)
    assert (stats.count, stats.minimum, stats.mean, stats.maximum) == (3, 10, 20.0, 30)
