"""How a policy failure is worded: the labels of a policy's callbacks about one VM
(``enque('vm1')``) and what is wrong with a ``schedule()`` answer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from rthv.hv.scheduling.api import VmHandle

SHOWN_ANSWER_CHARS = 60  # a longer wrong answer is cut short in the problem


class CallbackLabels(NamedTuple):
    """How a failure names a policy callback about one VM, e.g. ``enque('vm1')`` (written once
    per VM, not at every call)."""

    enque: str
    yield_: str
    block: str
    remove: str

    @classmethod
    def of(cls, vm: VmHandle) -> CallbackLabels:
        """The labels of ``vm``'s callbacks."""
        name = repr(vm.name)
        return cls(f"enque({name})", f"yield_({name})", f"block({name})", f"remove({name})")


def wrong_choice(choice: object, vms: Sequence[VmHandle]) -> str:
    """What is wrong with ``choice``, a ``schedule()`` answer that is not a runnable VM of
    ``vms`` (one of them, by identity, that is not runnable; or anything else)."""
    if isinstance(choice, VmHandle) and choice in vms:
        return f"returned VM '{choice.name}', which is {choice.state.name} (not runnable)"
    names = ", ".join(repr(vm.name) for vm in vms)
    shown = repr(choice)
    if len(shown) > SHOWN_ANSWER_CHARS:
        shown = shown[: SHOWN_ANSWER_CHARS - 3] + "..."
    return f"returned {shown}, which is not one of the VMs ({names})"
