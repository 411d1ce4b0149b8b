"""PSCI through HVC and SMC: the version, SYSTEM_OFF and SYSTEM_RESET; nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

import rthv
from hv_support import boot, vm_toml, write_system
from rthv.board.registers import Reg
from rthv.hv.psci import PSCI_VERSION_0_2, PsciAction, PsciStatus, is_psci, psci_call
from support import assemble

RAM = 0x8000_0000
SCRATCH = RAM + 0x8000  # outside the image: a reset reloads the image, not this word


def test_psci_function_ids_are_the_smc32_and_smc64_standard_service_ranges() -> None:
    """0x84000000-0x8400001F and 0xC4000000-0xC400001F; rthv's own calls are not PSCI."""
    assert all(is_psci(f) for f in (0x8400_0000, 0x8400_001F, 0xC400_0003))
    assert not any(is_psci(f) for f in (0, 1, 2, 0x8400_0020, 0x8500_0000, 0x8200_0000))


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        (0x8400_0000, (PsciAction.RETURN, PSCI_VERSION_0_2)),
        (0x8400_0008, (PsciAction.POWER_OFF, 0)),
        (0x8400_0009, (PsciAction.RESET, 0)),
        (0x8400_0003, (PsciAction.RETURN, PsciStatus.NOT_SUPPORTED)),  # CPU_ON
        (0xC400_0003, (PsciAction.RETURN, PsciStatus.NOT_SUPPORTED)),  # CPU_ON, SMC64
    ],
    ids=["version", "system-off", "system-reset", "cpu-on", "cpu-on-64"],
)
def test_what_each_function_does(function: int, expected: tuple[PsciAction, int]) -> None:
    """Version 0.2, off, reset; every other PSCI function is NOT_SUPPORTED (-1)."""
    assert psci_call(function) == expected


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
