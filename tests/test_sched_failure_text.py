"""How a policy failure is worded: callback labels, a wrong schedule() answer."""

from __future__ import annotations

from rthv.hv.scheduling.api import VmHandle, VmState
from rthv.hv.scheduling.failure_text import CallbackLabels, wrong_choice


def test_the_labels_name_each_callback_with_the_vm() -> None:
    labels = CallbackLabels.of(VmHandle("vm1", 0))
    assert labels == ("enque('vm1')", "yield_('vm1')", "block('vm1')", "remove('vm1')")


def test_a_vm_of_the_scheduler_is_wrong_only_for_its_state() -> None:
    a, b = VmHandle("a", 0), VmHandle("b", 1)
    b.set_state(VmState.WAITING)
    assert wrong_choice(b, [a, b]) == "returned VM 'b', which is WAITING (not runnable)"


def test_anything_else_is_not_one_of_the_vms_and_is_cut_short() -> None:
    a, b = VmHandle("a", 0), VmHandle("b", 1)
    stranger = VmHandle("a", 0)  # the same name, not the same VM
    assert wrong_choice(stranger, [a, b]).endswith(", which is not one of the VMs ('a', 'b')")
    assert wrong_choice("b", [a]) == "returned 'b', which is not one of the VMs ('a')"
    long = wrong_choice("x" * 100, [a])
    assert long == f"returned '{'x' * 56}..., which is not one of the VMs ('a')"
