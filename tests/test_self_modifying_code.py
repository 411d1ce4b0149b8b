"""Code that is changed and run again runs as changed, on whatever engine rthv runs on.

The `selfmod` guest rewrites code it has already run: in a page it ran from, in its own page,
through a second virtual mapping of the same physical page (the MMU on), and it waits while the
host (a loader, the hypervisor, a debugger) rewrites code it keeps calling. Stores into code
are the slow path of the engine's translation cache, so these are what a faster engine must
still get right.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

import rthv
from hv_support import vm_toml, write_system
from rthv.tools.guest_memory import GuestMemory
from support import boot, guest_image, run_on_qemu, run_until_output

WAITING = "c, waiting for a host write"
EXPECTED = """\
a, page run before: 1
a, page run before: 2
a, page run before: 3
a, own page: 4
a, own page: 5
a, own page: 6
b, written through the alias, run direct: 10
b, written through the alias, run direct: 11
b, written through the alias, run direct: 12
b, written direct, run through the alias: 13
b, written direct, run through the alias: 14
b, written direct, run through the alias: 15
c, before the host write: 20
c, waiting for a host write
c, after the host write: 21
selfmod done
"""
MOV_R0_21_BX_LR = (0xE3A00015).to_bytes(4, "little") + (0xE12FFF1E).to_bytes(4, "little")


def _host_slot(image: Path) -> int:
    """Address of the code the host rewrites (the guest's selfmod_host_slot)."""
    with image.open("rb") as stream:
        table = ELFFile(stream).get_section_by_name(".symtab")
        assert isinstance(table, SymbolTableSection)
        symbols = table.get_symbol_by_name("selfmod_host_slot")
        assert symbols, f"{image} has no selfmod_host_slot"
        return int(symbols[0]["st_value"])


@pytest.mark.parametrize("board", ["vexpress-a15", "virt"])
def test_bare_metal_code_runs_as_rewritten_by_the_guest_and_by_the_host(board: str) -> None:
    """Bare metal: every rewrite is seen, the host's too (written to RAM, translations dropped)."""
    image = guest_image("selfmod", board)
    booted = boot(image, board)
    run_until_output(booted, WAITING, limit_ms=200, step_ms=1)
    booted.machine.memory.write(_host_slot(image), MOV_R0_21_BX_LR)
    booted.machine.core.flush_code()
    booted.machine.run()
    assert booted.output() == EXPECTED


def test_in_a_vm_code_runs_as_rewritten_by_the_guest_and_by_the_host(tmp_path: Path) -> None:
    """In a VM the same lines: the guest's MMU aliases over Stage 2, and a debugger's write."""
    image = guest_image("selfmod")
    system = rthv.load(write_system(tmp_path, vm_toml("guest", "selfmod", ram="4M")))
    system.vm("guest").console.expect(WAITING, within="200ms")
    hv = system.hypervisor
    GuestMemory(hv.vms["guest"], hv.machine).write(_host_slot(image), MOV_R0_21_BX_LR)
    system.run()
    assert system.vm("guest").console.text == EXPECTED


@pytest.mark.qemu
@pytest.mark.parametrize("board", ["vexpress-a15", "virt"])
def test_the_guests_own_rewrites_print_the_same_on_qemu(board: str) -> None:
    """QEMU (which tracks code by physical page) prints the same up to the host's part."""
    qemu = run_on_qemu(guest_image("selfmod", board), WAITING, board)
    assert qemu == EXPECTED[: EXPECTED.index(WAITING) + len(WAITING) + 1]
