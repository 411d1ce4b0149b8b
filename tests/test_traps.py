"""The trap handlers: what a VM's HVC, WFI, coprocessor access or Stage-2 abort leads to."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

import rthv
from hv_support import boot, write_system
from rthv.board.cpu_exit import CpuExit, ExitKind
from rthv.board.guest_exceptions import is_hyp_trap
from rthv.board.registers import Mode, Reg
from rthv.hv.scheduling.api import VmState
from rthv.hv.trace_log import HypercallMade, Note, Switch
from rthv.hv.traps import (
    TRAP_HANDLERS,
    hypercall,
    secure_monitor_call,
    stage2_abort,
    timer_access,
    wait_for_interrupt,
)
from rthv.hv.vm import Vm
from support import UNDEFINED_GUEST, assemble

RAM = 0x8000_0000
RAM_64K = f'[[vm.memory]]\nipa = {RAM:#x}\nsize = "64K"\n'


def _system(tmp_path: Path, source: str, *, base: int = RAM, memory: str = RAM_64K) -> rthv.System:
    """One VM "a" booting a raw binary of ``source`` loaded at ``base``."""
    (tmp_path / "code.bin").write_bytes(assemble(source, base=base))
    vm = f'[[vm]]\nname = "a"\n[[vm.image]]\npath = "code.bin"\nload_ipa = {base:#x}\n{memory}'
    return boot(write_system(tmp_path, vm))


def _run(tmp_path: Path, source: str, *, base: int = RAM, memory: str = RAM_64K) -> Vm:
    """Run the one-VM system until it idles; its VM."""
    system = _system(tmp_path, source, base=base, memory=memory)
    system.hypervisor.run()
    return system.hypervisor.vms["a"]


def test_the_table_has_one_handler_per_trapped_exception_class() -> None:
    """HVC, SMC, WFI, coprocessor accesses and both Stage-2 aborts, each to its handler."""
    expected = {
        ExitKind.HVC: hypercall,
        ExitKind.SMC: secure_monitor_call,
        ExitKind.WFI: wait_for_interrupt,
        ExitKind.COPROCESSOR: timer_access,
        ExitKind.DATA_ABORT: stage2_abort,
        ExitKind.PREFETCH_ABORT: stage2_abort,
    }
    assert expected == TRAP_HANDLERS


def test_every_exit_the_board_hands_to_pl2_has_a_handler() -> None:
    """Whatever the kind and abort flags, an exit the board traps to PL2 is in the table."""
    for kind, unmapped, permission in itertools.product(ExitKind, (False, True), (False, True)):
        exit = CpuExit(kind, RAM, False, unmapped=unmapped, permission=permission)
        if is_hyp_trap(exit):
            assert kind in TRAP_HANDLERS, exit


# -- Stage-2 aborts ------------------------------------------------------------------------------

ROM_GUEST = """
    mov r0, #0x55
    mov r1, #0
    ldr r2, [r1, #0x40]
    str r0, [r1, #0x40]         @ flash: the write is ignored
    ldr r3, [r1, #0x40]
    wfi
    .balign 64
    .word 0x12345678
"""
ROM_64K = '[[vm.memory]]\nipa = 0\nsize = "64K"\nkind = "rom"\n'


def test_a_write_to_the_vms_rom_is_skipped_and_counted(tmp_path: Path) -> None:
    """The store to ROM is a no-op: the VM runs on, the store counts as executed."""
    system = _system(tmp_path, ROM_GUEST, base=0, memory=ROM_64K)
    system.hypervisor.run()
    vm = system.hypervisor.vms["a"]
    assert system.hypervisor.faults == []
    assert (vm.core.regs[Reg.R2], vm.core.regs[Reg.R3]) == (0x12345678, 0x12345678)
    assert vm.core.counter.executed == 6  # MOV, MOV, LDR, STR, LDR, WFI
    assert vm.counters.traps == 2  # the store and the WFI
    rom_pa = system.hypervisor.config.placements.memory_pa("a", 0)
    assert system.hypervisor.machine.memory.read(rom_pa + 0x40, 4) == (0x12345678).to_bytes(
        4, "little"
    )


def test_a_write_to_read_only_ram_stops_the_vm(tmp_path: Path) -> None:
    """Only ROM forgives writes: the same store to "r" RAM is a Stage-2 permission fault."""
    memory = '[[vm.memory]]\nipa = 0\nsize = "64K"\nperms = "rx"\n'
    system = _system(tmp_path, ROM_GUEST, base=0, memory=memory)
    system.hypervisor.run()
    (fault,) = system.hypervisor.faults
    assert (fault.reason, fault.pc, fault.address) == ("Stage-2 permission fault", 12, 0x40)
    assert fault.access == "write of 4 bytes"
    assert system.hypervisor.vms["a"].stopped


def test_a_fetch_outside_the_vms_memory_stops_it_as_an_execute(tmp_path: Path) -> None:
    """A branch to an unmapped IPA is a Stage-2 translation fault on an execute access."""
    vm = _run(tmp_path, "ldr r0, =0x70000000\nbx r0")
    assert vm.fault is not None
    assert (vm.fault.reason, vm.fault.pc, vm.fault.address, vm.fault.access) == (
        "Stage-2 translation fault",
        0x7000_0000,
        0x7000_0000,
        "execute",
    )


# -- coprocessor accesses ------------------------------------------------------------------------


def _access_address(access: str) -> int:
    code = assemble(UNDEFINED_GUEST.format(access=access), base=RAM)
    return RAM + code.index(assemble(access, base=RAM))


def test_a_trapped_non_timer_coprocessor_access_is_undefined_in_the_guest(tmp_path: Path) -> None:
    """CNTHP_CTL (a Hyp register) from PL1: the guest takes UNDEFINED at that instruction."""
    access = "mrc p15, 4, r0, c14, c2, 1"
    vm = _run(tmp_path, UNDEFINED_GUEST.format(access=access))
    regs = vm.core.regs
    assert regs.mode == Mode.UND
    assert (regs[Reg.R5], regs[Reg.R6]) == (1, 7)
    assert regs[Reg.LR] == _access_address(access) + 4
    assert vm.fault is None


def test_a_timer_access_is_emulated_and_the_guest_goes_on(tmp_path: Path) -> None:
    """CNTP_CTL from PL1 is served by the vCPU's timer: no exception, the MRC retired."""
    vm = _run(tmp_path, UNDEFINED_GUEST.format(access="mrc p15, 0, r0, c14, c2, 1"))
    regs = vm.core.regs
    assert regs.mode == Mode.SVC
    assert (regs[Reg.R5], regs[Reg.R6], regs[Reg.R0]) == (2, 0, 0)
    assert vm.core.counter.executed == 6  # LDR, MCR, MOV, MRC, MOV, WFI


@pytest.mark.parametrize(
    ("access", "kind"),
    [("mrc p15, 0, r0, c14, c2, 1", ExitKind.COPROCESSOR), ("hvc #0", ExitKind.HVC)],
    ids=["timer", "hypercall"],
)
def test_a_trap_is_served_without_ending_the_vcpus_run(
    tmp_path: Path, access: str, kind: ExitKind
) -> None:
    """A timer access or an HVC is served where it stands, inside the run slice, and counted
    as a trap."""
    system = _system(tmp_path, UNDEFINED_GUEST.format(access=access))
    vm = system.hypervisor.vms["a"]
    serve = vm.core.serve_in_place
    assert serve is not None
    served: list[tuple[ExitKind, int, bool]] = []

    def spy(exit: CpuExit) -> bool:
        done = serve(exit)
        served.append((exit.kind, exit.pc, done))
        return done

    vm.core.serve_in_place = spy
    system.hypervisor.run()
    assert served == [(kind, _access_address(access), True)]
    assert vm.counters.traps == 2  # the access, then the WFI
    assert vm.core.counter.executed == 6
    assert vm.core.regs[Reg.R5] == 2


@pytest.mark.parametrize("access", ["mrrc p15, 4, r2, r3, c14", "mcrr p15, 4, r2, r3, c14"])
def test_cntvoff_from_pl1_is_undefined(tmp_path: Path, access: str) -> None:
    """MRRC/MCRR of CNTVOFF from the guest's SVC mode: UNDEFINED, as on the hardware."""
    vm = _run(tmp_path, UNDEFINED_GUEST.format(access=access))
    assert vm.core.regs.mode == Mode.UND
    assert vm.core.regs[Reg.LR] == _access_address(access) + 4


# -- WFI -----------------------------------------------------------------------------------------

WFI_GUEST = """
    ldr r1, =0x2c001000         @ the VM's GICD (emulated)
    mov r0, #1
    str r0, [r1]                @ GICD_CTLR: on
    str r0, [r1, #0x100]        @ ISENABLER0: SGI 0 enabled
    ldr r0, =0x02000000
    str r0, [r1, #0xf00]        @ GICD_SGIR: SGI 0 to itself, deliverable (IRQs stay masked)
    wfi                         @ does not wait
    mov r5, #1
    mov r0, #1
    str r0, [r1, #0x180]        @ ICENABLER0: SGI 0 disabled, nothing deliverable
    wfi                         @ waits, for good
    mov r6, #1
"""


def test_wfi_with_a_deliverable_interrupt_does_not_wait(tmp_path: Path) -> None:
    """The first WFI returns at once; the second, with SGI 0 disabled, leaves the VM waiting."""
    vm = _run(tmp_path, WFI_GUEST)
    assert (vm.core.regs[Reg.R5], vm.core.regs[Reg.R6]) == (1, 0)
    assert vm.counters.wfi == 2
    assert vm.handle.state is VmState.WAITING
    assert vm.core.counter.executed == 11


# -- a hypercall served inside the run slice ------------------------------------------------------

WAKER = """
    mov r0, #1                  @ NOTIFY
    mov r1, #0                  @ channel 0: to "sleeper"
    hvc #0
    mov r6, #1
    wfi
"""
SLEEPER = """
    ldr r1, =0x2c001000         @ the VM's GICD (emulated)
    mov r0, #1
    str r0, [r1]                @ GICD_CTLR: on
    mov r0, #0x10000
    str r0, [r1, #0x104]        @ ISENABLER1: vIRQ 48 enabled (IRQs stay masked)
    wfi                         @ waits until the notify
    mov r5, #1
    wfi                         @ vIRQ 48 still pending: does not wait
    mov r5, #2
    mov r0, #0x10000
    str r0, [r1, #0x184]        @ ICENABLER1: vIRQ 48 disabled
    wfi                         @ waits, for good
"""


def test_a_notify_that_preempts_ends_the_callers_run_at_the_hypercall(tmp_path: Path) -> None:
    """The woken VM outranks the caller: the switch happens at the HVC, served in place, and
    the caller runs on after it only once the woken VM waits again."""
    vms = []
    for name, source, priority in (("waker", WAKER, 1), ("sleeper", SLEEPER, 0)):
        (tmp_path / f"{name}.bin").write_bytes(assemble(source, base=RAM))
        vms.append(
            f'[[vm]]\nname = "{name}"\nsched = {{ priority = {priority} }}\n'
            f'[[vm.image]]\npath = "{name}.bin"\nload_ipa = {RAM:#x}\n{RAM_64K}'
        )
    channel = '[[notify]]\nfrom = "waker"\nto = "sleeper"\nvirq = 48\nid = 0\n'
    path = write_system(
        tmp_path, *vms, head='[scheduler]\npolicy = "fixed-priority"\n', tail=channel
    )
    system = boot(path)
    system.hypervisor.run()
    waker, sleeper = system.hypervisor.vms["waker"], system.hypervisor.vms["sleeper"]
    assert (waker.core.regs[Reg.R0], waker.core.regs[Reg.R6]) == (0, 1)
    assert sleeper.core.regs[Reg.R5] == 2
    assert (waker.core.counter.executed, sleeper.core.counter.executed) == (5, 12)
    assert (waker.counters.hypercalls, waker.counters.traps) == (1, 2)
    switches = [(e.old, e.new, e.reason) for e in system.hypervisor.trace if isinstance(e, Switch)]
    assert switches[-3:] == [
        ("waker", "sleeper", "preempted"),
        ("sleeper", "waker", "wfi"),
        ("waker", None, "wfi"),
    ]


# -- equal times: an event due at a trap served in place ------------------------------------------

# Hypercalls and CNTP_CVAL reads (both served in place), what was read kept in memory.
CALLS_AND_READS = """
    ldr r6, =0x80008000
    mov r7, #6
1:  mov r0, #0                  @ VERSION
    hvc #0
    mrrc p15, 2, r4, r5, c14    @ CNTP_CVAL
    str r4, [r6], #4
    subs r7, r7, #1
    bne 1b
    wfi
"""


def _calls_and_reads(
    tmp_path: Path, events_at: list[int], in_place: bool
) -> tuple[list[HypercallMade | Note], bytes, dict[str, int], int]:
    """The one-VM system running CALLS_AND_READS, with an event at each of ``events_at`` that
    traces a note and writes its own time to the VM's CNTP_CVAL: the trace (hypercalls and
    notes, in order, at their cycles), what the guest read, its registers and instructions.
    ``in_place`` False: each trap ends its slice and the run loop hands it to the hypervisor."""
    system = _system(tmp_path, CALLS_AND_READS)
    hypervisor = system.hypervisor
    machine, vm = hypervisor.machine, hypervisor.vms["a"]
    for when in events_at:

        def fire(when: int = when) -> None:
            hypervisor.record(Note(machine.clock.now(), "a", "event", str(when)))
            vm.timer.write_register("CNTP_CVAL", when)

        machine.events.schedule(when, fire)
    served: list[bool] = []
    serve = vm.core.serve_in_place
    assert serve is not None

    def serve_or_not(exit: CpuExit) -> bool:
        served.append(serve(exit) if in_place else False)
        return served[-1]

    vm.core.serve_in_place = serve_or_not
    hypervisor.run()
    assert served == [in_place] * 12 and hypervisor.faults == []
    trace = [e for e in hypervisor.trace if isinstance(e, (HypercallMade, Note))]
    memory = hypervisor.machine.memory
    read = memory.read(hypervisor.config.placements.memory_pa("a", 0) + 0x8000, 24)
    return trace, read, vm.core.regs.snapshot(), vm.core.counter.executed


def test_an_event_at_a_trap_served_in_place_comes_in_the_order_of_the_trap_path(
    tmp_path: Path,
) -> None:
    """Events due at the very cycles of a hypercall served in place: at its HVC's first cycle,
    while the trap's and the call's costs are charged, at the cycle they end, after. Equal
    times run in one order: an event due when the HVC would start comes before it; one due
    later, while it is served, after it (the charges move time on inside the slice, as they
    would between slices). Served in place, each such run traces the same hypercalls and
    events in the same order at the same cycles, and the guest reads, holds and retires the
    same, as when every trap ends its slice and the run loop hands it to the hypervisor."""
    reference, _, _, _ = _calls_and_reads(tmp_path, [], in_place=True)
    costs = _system(tmp_path, CALLS_AND_READS).hypervisor.costs
    charged = costs.trap_entry_exit + costs.hypercall
    call = reference[2].cycle - charged  # the third HVC's first cycle
    singles = [call - 1, call, call + 1, call + charged - 1, call + charged, call + charged + 1]
    for events_at in [[when] for when in singles] + [list(range(call - 3, call + charged + 12))]:
        in_place = _calls_and_reads(tmp_path, events_at, in_place=True)
        assert in_place == _calls_and_reads(tmp_path, events_at, in_place=False), events_at
    first, later = (_calls_and_reads(tmp_path, [when], True)[0] for when in (call, call + 1))
    assert [type(e) for e in first[2:4]] == [Note, HypercallMade]
    assert [type(e) for e in later[2:4]] == [HypercallMade, Note]
