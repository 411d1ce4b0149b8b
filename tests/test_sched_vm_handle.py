"""A VM as the scheduler sees it: its name, index, state and parameters."""

from __future__ import annotations

import pytest

from rthv.hv.scheduling import api
from rthv.hv.scheduling.vm_handle import VmHandle, VmState


def test_a_new_handle_waits_until_the_framework_moves_it() -> None:
    vm = VmHandle("rtos", 2)
    assert (vm.name, vm.index, vm.params, vm.state) == ("rtos", 2, None, VmState.WAITING)
    assert not vm.runnable


@pytest.mark.parametrize(
    ("state", "runnable"),
    [
        (VmState.RUNNING, True),
        (VmState.READY, True),
        (VmState.WAITING, False),
        (VmState.STOPPED, False),
    ],
)
def test_runnable_is_running_or_ready_on_the_handle_and_the_state(
    state: VmState, runnable: bool
) -> None:
    vm = VmHandle("a", 0)
    vm.set_state(state)
    assert vm.state is state
    assert vm.runnable is runnable
    assert state.runnable is runnable


def test_the_state_is_read_only_to_a_policy() -> None:
    vm = VmHandle("a", 0)
    with pytest.raises(AttributeError):
        vm.state = VmState.READY  # type: ignore[misc]
    assert vm.state is VmState.WAITING


def test_repr_names_the_vm_its_index_and_state() -> None:
    vm = VmHandle("linux", 1)
    vm.set_state(VmState.READY)
    assert repr(vm) == "VmHandle('linux', index=1, READY)"


def test_the_policy_api_offers_the_same_classes() -> None:
    assert api.VmHandle is VmHandle
    assert api.VmState is VmState
