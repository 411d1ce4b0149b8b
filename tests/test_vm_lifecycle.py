"""What happens to a VM that faults, resets or keeps touching what is not its own."""

from __future__ import annotations

from pathlib import Path

from crashme_support import run_seed
from hv_support import boot, vm_toml, write_system
from rthv.board.guest_errors import IN_FULL
from rthv.hv.trace_log import AccessIgnored, VmFaulted, VmReset
from rthv.hv.vm_lifecycle import REPEATS_IN_FULL


def test_ignored_accesses_are_reported_in_full_a_few_times_then_counted(tmp_path: Path) -> None:
    """Per register: three lines (the third says the rest are counted), then only counts."""
    system = boot(write_system(tmp_path, vm_toml("a", "hello")))
    hv = system.hypervisor
    vm = hv.vms["a"]
    for _ in range(IN_FULL + 2):
        hv.lifecycle.report_ignored(vm, "GICD+0x104", "GICD write for IRQ 50 (not its own)")
    hv.lifecycle.report_ignored(vm, "GICD+0x108", "GICD write for IRQ 70 (not its own)")
    events = [e for e in hv.trace if isinstance(e, AccessIgnored)]
    assert [(e.register, e.last_in_full) for e in events] == [
        ("GICD+0x104", False),
        ("GICD+0x104", False),
        ("GICD+0x104", True),
        ("GICD+0x108", False),
    ]
    assert vm.counters.ignored_by_register == {"GICD+0x104": 5, "GICD+0x108": 1}
    lines = system.hypervisor_console.splitlines()
    assert len(lines) == 4 and lines[2].endswith("(more at GICD+0x104 are only counted)")


def test_a_reset_restarts_from_the_images_and_a_stop_is_for_good(tmp_path: Path) -> None:
    """A reset is traced and said; a fault under the default policy stops the VM and tells."""
    system = boot(
        write_system(tmp_path, vm_toml("a", "hello"), vm_toml("b", "hello", uart="uart1"))
    )
    hv = system.hypervisor
    a = hv.vms["a"]
    hv.lifecycle.reset_vm(a, "test")
    hv.lifecycle.stop_vm(a, "test fault", 0x8000_0000, 0x1234, "write")
    (fault,) = hv.faults
    assert (fault.vm, fault.action, a.fault) == ("a", "stopped", fault)
    assert [type(e) for e in hv.trace if isinstance(e, VmReset | VmFaulted)] == [VmReset, VmFaulted]
    assert 'vm "a" reset (test): restarting from its images' in system.hypervisor_console
    assert hv.vms["b"].fault is None


def test_aborts_injected_again_and_again_are_reported_in_full_a_few_times_then_counted(
    tmp_path: Path,
) -> None:
    """fault = "inject" and a guest that faults on and on (random code): three lines, then
    only the count (the summary's "aborts injected"), not a line per abort; the hypervisor's
    list of faults keeps those three too (it would grow by one per abort), and its count
    has them all."""
    outcome = run_seed(tmp_path, seed=1, batches=300, words=64, until="20ms")
    assert outcome.injected > 10 * REPEATS_IN_FULL
    lines = [line for line in outcome.report.splitlines() if line.startswith('vm "c" injected')]
    assert len(lines) == REPEATS_IN_FULL
    stopped = outcome.fault != ""
    assert outcome.faults_listed == REPEATS_IN_FULL + stopped
    assert outcome.fault_count == outcome.injected + stopped
