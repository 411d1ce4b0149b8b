"""PSCI through HVC and SMC: the version, SYSTEM_OFF and SYSTEM_RESET; nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

import rthv
from hv_support import boot, vm_toml, write_system
from rthv.board.registers import Reg
from rthv.hv.hypercalls import Arguments
from rthv.hv.psci import (
    PSCI_CALLS,
    PSCI_VERSION_0_2,
    PsciContext,
    PsciFunction,
    is_psci,
    psci_handler,
)
from support import assemble

RAM = 0x8000_0000
SCRATCH = RAM + 0x8000  # outside the image: a reset reloads the image, not this word


def test_psci_function_ids_are_the_smc32_and_smc64_standard_service_ranges() -> None:
    """0x84000000-0x8400001F and 0xC4000000-0xC400001F; rthv's own calls are not PSCI."""
    assert all(is_psci(f) for f in (0x8400_0000, 0x8400_001F, 0xC400_0003))
    assert not any(is_psci(f) for f in (0, 1, 2, 0x8400_0020, 0x8500_0000, 0x8200_0000))


class _Calls:
    """A ``PsciContext`` that notes what a handler asked for."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def power_off(self, how: str) -> None:
        self.asked.append(f"off: {how}")

    def reset(self, how: str) -> None:
        self.asked.append(f"reset: {how}")


@pytest.mark.parametrize(
    ("function", "status", "asked"),
    [
        (0x8400_0000, PSCI_VERSION_0_2, []),
        (0x8400_0008, 0, ["off: PSCI SYSTEM_OFF"]),
        (0x8400_0009, 0, ["reset: PSCI SYSTEM_RESET"]),
    ],
    ids=["version", "system-off", "system-reset"],
)
def test_each_implemented_function_is_its_handler_in_the_table(
    function: int, status: int, asked: list[str]
) -> None:
    """Version 0.2; off and reset ask the hypervisor to act on the VM (after the trace)."""
    handler = psci_handler(function)
    assert handler is not None
    calls = _Calls()
    assert handler(calls, (0, 0, 0)) == status
    assert calls.asked == asked


def test_the_table_holds_exactly_the_implemented_functions() -> None:
    """Every ``PsciFunction`` has a handler; CPU_ON (SMC32 and SMC64) has none: NOT_SUPPORTED."""
    assert set(PSCI_CALLS) == set(PsciFunction)
    assert psci_handler(0x8400_0003) is None and psci_handler(0xC400_0003) is None


def _system(tmp_path: Path, source: str) -> rthv.System:
    """VM "a" runs ``source``; VM "b" runs the hello guest on uart1, beside it."""
    (tmp_path / "code.bin").write_bytes(assemble(source, base=RAM))
    a = (
        f'[[vm]]\nname = "a"\n[[vm.image]]\npath = "code.bin"\nload_ipa = {RAM:#x}\n'
        f'[[vm.memory]]\nipa = {RAM:#x}\nsize = "64K"\n'
    )
    b = vm_toml("b", "hello", uart="uart1")
    return boot(write_system(tmp_path, a, b))


SYSTEM_OFF_AFTER_QUERIES = """
    ldr r0, =0x84000000     @ PSCI_VERSION, through HVC
    hvc #0
    mov r4, r0
    ldr r0, =0x84000003     @ CPU_ON, through SMC: not supported
    smc #0
    mov r5, r0
    ldr r0, =0x84000008     @ SYSTEM_OFF
    hvc #0
    mov r7, #1              @ never reached
    b .
"""


def test_system_off_stops_the_vm_cleanly_and_the_other_vm_goes_on(tmp_path: Path) -> None:
    """Version 0.2 and NOT_SUPPORTED come back in r0; SYSTEM_OFF stops only that VM."""
    system = _system(tmp_path, SYSTEM_OFF_AFTER_QUERIES)
    system.run(until="5ms")
    vm = system.hypervisor.vms["a"]
    regs = vm.core.regs
    assert (regs[Reg.R4], regs[Reg.R5], regs[Reg.R7]) == (PSCI_VERSION_0_2, 0xFFFF_FFFF, 0)
    assert vm.fault is not None and vm.fault.clean
    assert vm.fault.describe().startswith('vm "a" powered off (PSCI SYSTEM_OFF) at pc ')
    assert "powered off (PSCI SYSTEM_OFF)" in system.console_text("rthv")
    assert vm.counters.hypercalls == 2  # the two HVCs; SMCs are not hypercalls
    hello = system.vm("b").console.text
    assert "hello" in hello.lower() and system.hypervisor.vms["b"].fault is None


RESET_THREE_TIMES = f"""
    ldr r1, ={SCRATCH:#x}
    ldr r2, [r1]
    str r8, [r1, #4]        @ r8 as the vCPU came out of reset (0 after a reset too)
    add r2, r2, #1
    str r2, [r1]
    mov r8, #0x55           @ left behind: a reset must clear it
    cmp r2, #3
    ldrne r0, =0x84000009   @ SYSTEM_RESET, the first two times
    ldreq r0, =0x84000008   @ then SYSTEM_OFF
    hvc #0
    b .
"""


def test_system_reset_restarts_the_vm_from_its_image_with_registers_reset(tmp_path: Path) -> None:
    """Three boots of the same image: RAM outside it survives, registers do not."""
    system = _system(tmp_path, RESET_THREE_TIMES)
    system.run(until="5ms")
    hv = system.hypervisor
    vm = hv.vms["a"]
    memory = hv.machine.memory
    pa = hv.config.placements.memory_pa("a", 0) + (SCRATCH - RAM)
    assert int.from_bytes(memory.read(pa, 4), "little") == 3
    assert int.from_bytes(memory.read(pa + 4, 4), "little") == 0
    assert vm.fault is not None and vm.fault.clean
    resets = [e for e in hv.trace if e.kind == "reset"]
    assert len(resets) == 2
    assert (
        system.console_text("rthv").count(
            'vm "a" reset (PSCI SYSTEM_RESET): restarting from its images'
        )
        == 2
    )
    assert hv.vms["b"].fault is None


TEST_PSCI_ADD = 0x8400_001F  # a test-only PSCI function ID: r0 = r1 + r2

ADD_THROUGH_HVC_AND_SMC = f"""
    ldr r0, ={TEST_PSCI_ADD:#x}
    mov r1, #40
    mov r2, #2
    hvc #0
    mov r4, r0
    ldr r0, ={TEST_PSCI_ADD:#x}
    mov r1, #7
    smc #0
    mov r5, r0
    b .
"""


def _add(call: PsciContext, args: Arguments) -> int:
    return args[0] + args[1]


def test_a_psci_call_registered_from_a_test_is_served_through_hvc_and_smc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One table entry is all a new PSCI call needs, for HVC and SMC alike."""
    monkeypatch.setitem(PSCI_CALLS, TEST_PSCI_ADD, _add)
    system = _system(tmp_path, ADD_THROUGH_HVC_AND_SMC)
    system.run(until="1ms")
    vm = system.hypervisor.vms["a"]
    assert (vm.core.regs[Reg.R4], vm.core.regs[Reg.R5]) == (42, 9)
    assert vm.fault is None and vm.counters.hypercall_errors == 0
