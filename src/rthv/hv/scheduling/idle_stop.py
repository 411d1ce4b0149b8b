"""When a run stops idle though timers are still queued: every VM waits for good.

The board stops a run idle when its CPU would sleep and no event is queued (``Machine.run``).
A policy's timers never run out (EDF's and RTDS's releases, ARINC 653's window ends), yet none
of them can wake a VM: only an interrupt delivered to a WAITING VM makes it runnable
(``Scheduler.vm_runnable``, called by the hypervisor), and ``schedule()`` may choose only a
runnable VM (any other answer is the policy's fault). So once every VM waits or has stopped and
every queued event is a timer of the scheduler (the policy's, or a budget, which is armed only
while its VM runs), nothing can ever happen again: the hypervisor answers the board's
``Machine.sleeps_for_good`` with ``every_vm_waits_for_good``, and the run stops idle at that
moment, whatever the policy, built-in or plug-in. The timers that would have come after it are
not run; what they would have recorded (a job's release, a plug-in's own counts) is not.

Any other event (a device's timeout, the first pick at boot) may wake a VM: while one is queued,
the CPU sleeps until the next event, as before. Input from the host (a key typed at the
terminal, ``Console.send``) arrives between runs and raises its UART's interrupt line, which the
next run takes before it would idle: a run that stopped idle goes on when input wakes a VM.
"""

from __future__ import annotations

from rthv.hv.scheduling.framework import Scheduler
from rthv.hv.scheduling.vm_handle import VmState


def every_vm_waits_for_good(scheduler: Scheduler) -> bool:
    """True when nothing can happen any more: every VM of ``scheduler`` waits or has stopped,
    and every event queued is one of its timers."""
    for vm in scheduler.vms:
        state = vm.state
        if state is not VmState.WAITING and state is not VmState.STOPPED:
            return False
    # (At every sleep. Any other event, a device's or PL2's own, may wake a VM.)
    return not scheduler.events.any_live_except(scheduler.timer_events())
