"""A VM's IPA space: the Stage-2 table built from its configuration, realised in a vCPU engine."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from rthv.board.cpu import CpuCore
from rthv.board.cpu_exit import CpuExit, ExitKind
from rthv.board.machine import Machine
from rthv.board.registers import Reg
from rthv.hv.address_space import build_stage2, realise, s2_perm
from rthv.hv.config import ConfigError, SystemConfig, parse_config
from rthv.hv.hypervisor_memory import HypervisorMemory
from rthv.hv.stage2 import Stage2Table
from rthv.hv.stage2_descriptors import MemType, S2Perm, Stage2Error
from support import assemble, guest_image

RAM_IPA, RAM_PA = 0x8000_0000, 0x8100_0000
DATA_IPA = 0x9000_0000
VIEW_IPA = 0xA000_0000
UART_IPA = 0x1C09_0000  # where VM a sees UART1 (UART0's address)
UART1_PA = 0x1C0A_0000
GICD, GICC, GICV = 0x2C00_1000, 0x2C00_2000, 0x2C00_6000
TABLES_PA = 0x87F0_0000  # the hypervisor's top MiB of board RAM
MIB = 1 << 20


def _system_text(a_pa: int = RAM_PA) -> str:
    """VM a: 1 MiB rwx RAM at a fixed PA, 64 KiB rw data, UART1 at UART0's IPA, a read-only
    view of a shared object that VM b sees read/write."""
    hello = guest_image("hello")
    return f"""
board = "vexpress-a15"
[[vm]]
name = "a"
[[vm.image]]
path = "{hello}"
[[vm.memory]]
ipa = {RAM_IPA:#x}
size = "1M"
pa = {a_pa:#x}
[[vm.memory]]
ipa = {DATA_IPA:#x}
size = "64K"
perms = "rw"
[[vm.device]]
name = "uart1"
ipa = {UART_IPA:#x}
[[vm]]
name = "b"
[[vm.image]]
path = "{hello}"
[[vm.memory]]
ipa = {RAM_IPA:#x}
size = "1M"
[[shared_memory]]
name = "rings"
size = "64K"
[[shared_memory.view]]
vm = "a"
ipa = {VIEW_IPA:#x}
perms = "r"
[[shared_memory.view]]
vm = "b"
ipa = {VIEW_IPA:#x}
"""


@functools.cache
def _config() -> SystemConfig:
    return parse_config(_system_text(), Path.cwd())


def _table(vm: str, vmid: int = 1) -> Stage2Table:
    config = _config()
    memory = HypervisorMemory(TABLES_PA, MIB)
    return build_stage2(config, config.vm(vm), config.board_description, memory, vmid)


@pytest.mark.parametrize(
    ("text", "perm"),
    [
        ("rwx", S2Perm.RWX),
        ("rw", S2Perm.RW),
        ("rx", S2Perm.RX),
        ("r", S2Perm.READ),
        ("", S2Perm.NONE),
    ],
)
def test_s2_perm_reads_config_letters(text: str, perm: S2Perm) -> None:
    """Each letter of a config permission string adds its Stage-2 right."""
    assert s2_perm(text) == perm


def test_ram_is_mapped_at_its_placement_with_its_permissions() -> None:
    """RAM at its fixed PA (rwx), the "auto" data region at its chosen PA (rw, never exec)."""
    table = _table("a")
    ram = table.translate(RAM_IPA + 0x123)
    assert ram is not None
    assert (ram.pa, ram.perm, ram.mem_type) == (RAM_PA + 0x123, S2Perm.RWX, MemType.NORMAL)
    data = table.translate(DATA_IPA + 0x10)
    assert data is not None
    data_pa = _config().placements.memory_pa("a", 1)
    assert (data.pa, data.perm, data.mem_type) == (data_pa + 0x10, S2Perm.RW, MemType.NORMAL)
    fault = table.check(DATA_IPA, "exec")
    assert fault is not None and fault.kind == "permission"
    assert table.translate(RAM_IPA + MIB) is None  # nothing past the region


def test_a_device_is_mapped_at_its_ipa_onto_the_board_device_as_device_memory() -> None:
    """UART1 appears at UART0's IPA: read/write, Device memory, UART1's physical page."""
    table = _table("a")
    uart = table.translate(UART_IPA + 0x18)
    assert uart is not None
    assert (uart.pa, uart.perm, uart.mem_type) == (UART1_PA + 0x18, S2Perm.RW, MemType.DEVICE)
    assert table.translate(UART1_PA) is None  # not also at its physical address


def test_the_gicc_ipa_is_the_board_gicv_and_the_gicd_ipa_is_unmapped() -> None:
    """The VM's GICC page is the GICV (Device, rw); its GICD page faults to the hypervisor."""
    table = _table("a")
    gicc = table.translate(GICC + 0x0C)
    assert gicc is not None
    assert (gicc.pa, gicc.perm, gicc.mem_type) == (GICV + 0x0C, S2Perm.RW, MemType.DEVICE)
    for access in ("read", "write"):
        fault = table.check(GICD, access)
        assert fault is not None and fault.kind == "translation"
    assert table.translate(GICD) is None


def test_shared_memory_views_carry_their_own_rights_and_are_never_executable() -> None:
    """Both views reach the same PA: a's is read-only, b's read/write, neither executable."""
    pa = _config().placements.shared_memory["rings"]
    for vm, perm in (("a", S2Perm.READ), ("b", S2Perm.RW)):
        table = _table(vm)
        view = table.translate(VIEW_IPA + 4)
        assert view is not None
        assert (view.pa, view.perm, view.mem_type) == (pa + 4, perm, MemType.NORMAL)
        fault = table.check(VIEW_IPA, "exec")
        assert fault is not None and fault.kind == "permission"
    write = _table("a").check(VIEW_IPA, "write")
    assert write is not None and write.kind == "permission"


def test_the_table_holds_exactly_the_configured_runs() -> None:
    """Nothing but RAM, data, the UART, the 8 KiB GICC window and the view exists for VM a."""
    config = _config()
    runs = [(m.ipa, m.pa, m.size) for m in _table("a").mappings()]
    assert runs == [
        (UART_IPA, UART1_PA, 0x1000),
        (GICC, GICV, 0x2000),  # GICv2 CPU interface: 8 KiB, GICC_DIR at 0x1000
        (RAM_IPA, RAM_PA, MIB),
        (DATA_IPA, config.placements.memory_pa("a", 1), 0x10000),
        (VIEW_IPA, config.placements.shared_memory["rings"], 0x10000),
    ]


# -- realised into an engine -----------------------------------------------------------------------

CODE_IPA = RAM_IPA + 0x1000
GUEST = f"""
    ldr r0, ={RAM_IPA + 0x100:#x}
    ldr r1, =0x5a5a1234
    str r1, [r0]                @ RAM: lands at RAM_PA + 0x100
    ldr r2, ={UART_IPA:#x}
    mov r3, #'V'
    str r3, [r2]                @ UARTDR of the UART seen at UART0's IPA: UART1
    ldr r2, ={GICC:#x}
    mov r3, #1
    str r3, [r2]                @ GICC_CTLR of the VM: the GICV's
    ldr r4, ={VIEW_IPA:#x}
    ldr r5, [r4]                @ the read-only view reads shared memory
    str r1, [r4]                @ and refuses a write
    wfi
"""


def _realised() -> tuple[Machine, CpuCore, list[tuple[str, bytes]], CpuExit]:
    consoles: list[tuple[str, bytes]] = []
    config = _config()
    machine = Machine(config.board_description, console=lambda n, d: consoles.append((n, d)))
    core = machine.new_core("a")
    realise(_table("a"), core, machine)
    machine.memory.write(RAM_PA + 0x1000, assemble(GUEST, base=CODE_IPA))
    machine.memory.write(config.placements.shared_memory["rings"], bytes.fromhex("77665544"))
    core.regs.branch(CODE_IPA, thumb=False)
    core.flush_code()
    return machine, core, consoles, core.run(budget=1_000)


def test_guest_stores_land_in_board_ram_and_devices_at_their_physical_models() -> None:
    """RAM writes reach the placed PA, the UART write prints on UART1, GICC is the GICV."""
    machine, core, consoles, _ = _realised()
    assert machine.memory.read(RAM_PA + 0x100, 4) == (0x5A5A1234).to_bytes(4, "little")
    assert machine.memory.read(RAM_IPA + 0x100, 4) == bytes(4)  # identity would be wrong
    assert consoles == [("uart1", b"V")]
    assert (machine.gicv.read(0, 4), machine.gicc.read(0, 4)) == (1, 0)
    assert core.regs[Reg.R5] == 0x44556677


def test_a_write_to_a_read_only_view_is_a_permission_exit() -> None:
    """The store to the read-only view stops the vCPU with a write permission abort."""
    machine, _, _, exit = _realised()
    store = CODE_IPA + assemble(GUEST, base=CODE_IPA).index(bytes.fromhex("001084e5"))
    assert exit == CpuExit(
        ExitKind.DATA_ABORT,
        store,
        False,
        address=VIEW_IPA,
        write=True,
        size=4,
        value=0x5A5A1234,
        permission=True,
    )
    assert machine.memory.read(_config().placements.shared_memory["rings"], 4) == bytes.fromhex(
        "77665544"
    )


def test_the_unmapped_gicd_is_a_translation_exit_in_the_engine() -> None:
    """Without the hypervisor's emulated window, a GICD read finds nothing behind it."""
    config = _config()
    machine = Machine(config.board_description)
    core = machine.new_core("a")
    realise(_table("a"), core, machine)
    machine.memory.write(RAM_PA, assemble(f"ldr r0, ={GICD:#x}\nldr r1, [r0]", base=RAM_IPA))
    core.regs.branch(RAM_IPA, thumb=False)
    core.flush_code()
    exit = core.run(budget=1_000)
    assert (exit.kind, exit.address, exit.unmapped) == (ExitKind.DATA_ABORT, GICD, True)


def test_a_vm_placed_on_the_hypervisor_table_memory_is_refused() -> None:
    """RAM at the PA of the Stage-2 tables' own pages: the config refuses it, naming the field,
    and the table itself would refuse to map it too."""
    with pytest.raises(ConfigError, match=r'vm "a"\.memory\[0\]\.pa: .* hypervisor'):
        parse_config(_system_text(a_pa=TABLES_PA), Path.cwd())
    config = parse_config(_system_text(), Path.cwd())
    memory = HypervisorMemory(TABLES_PA, MIB)
    table = build_stage2(config, config.vm("a"), config.board_description, memory, 1)
    with pytest.raises(Stage2Error, match="exposes hypervisor memory"):
        table.map(0x9000_0000, TABLES_PA, 0x1000, S2Perm.READ, MemType.NORMAL)
