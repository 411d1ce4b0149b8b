"""A VM's memory as its own code sees it: Stage-1 (the guest's MMU), then Stage-2, then RAM.

For a debugger: reads and writes go to RAM only, never to a device (a read could change its
state), and a page that either stage does not map is reported as unreadable.
"""

from __future__ import annotations

from rthv.board.machine import Machine
from rthv.board.memory import RamRegion
from rthv.board.registers import SCTLR, SysReg
from rthv.hv.vm import Vm

TTBR0 = SysReg("TTBR0", 2, 0, 0, 0)
TTBR1 = SysReg("TTBR1", 2, 0, 0, 1)
TTBCR = SysReg("TTBCR", 2, 0, 0, 2)
SCTLR_M = 1 << 0
TTBCR_EAE = 1 << 31
PAGE = 4096


class GuestMemoryError(ValueError):
    """An address the VM cannot reach, or that is not RAM."""


class GuestMemory:
    """Reads and writes at a VM's virtual addresses, through both stages of translation."""

    def __init__(self, vm: Vm, machine: Machine) -> None:
        self.vm = vm
        self.machine = machine

    def read(self, address: int, length: int) -> bytes:
        """``length`` bytes at virtual ``address``."""
        data = bytearray()
        for pa, size in self._pieces(address, length):
            data += self.machine.memory.read(pa, size)
        return bytes(data)

    def write(self, address: int, data: bytes) -> None:
        """Store ``data`` at virtual ``address``; translated code there is dropped."""
        offset = 0
        for pa, size in self._pieces(address, len(data)):
            self.machine.memory.write(pa, data[offset : offset + size])
            offset += size
        self.vm.core.flush_code()

    def to_ipa(self, va: int) -> int:
        """Stage 1: the guest's own translation (short descriptors), or VA = IPA with it off."""
        regs = self.vm.core.regs
        if not regs.sys(SCTLR) & SCTLR_M:
            return va
        ttbcr = regs.sys(TTBCR)
        if ttbcr & TTBCR_EAE:
            raise GuestMemoryError("the guest uses LPAE Stage-1 tables: not supported here")
        n = ttbcr & 0x7
        if n and va >> (32 - n):
            base = regs.sys(TTBR1) & ~0x3FFF
            index = va >> 20
        else:
            base = regs.sys(TTBR0) & ~((1 << (14 - n)) - 1) & 0xFFFFFFFF
            index = (va & (0xFFFFFFFF >> n)) >> 20
        first = self._word(base + 4 * index)
        kind = first & 0b11
        if kind == 0b10 and first & (1 << 18):  # supersection: 16 MiB
            return (first & 0xFF000000) | (va & 0x00FFFFFF)
        if kind == 0b10:  # section: 1 MiB
            return (first & 0xFFF00000) | (va & 0x000FFFFF)
        if kind == 0b01:  # a second-level table
            second = self._word((first & ~0x3FF) + 4 * ((va >> 12) & 0xFF))
            if second & 0b10:  # small page: 4 KiB
                return (second & ~0xFFF) | (va & 0xFFF)
            if second & 0b01:  # large page: 64 KiB
                return (second & ~0xFFFF) | (va & 0xFFFF)
        raise GuestMemoryError(f"{va:#010x} is not mapped by the guest's page tables")

    def to_pa(self, ipa: int) -> int:
        """Stage 2: the hypervisor's translation; RAM only."""
        found = self.vm.stage2.translate(ipa)
        if found is None:
            raise GuestMemoryError(f"IPA {ipa:#010x} is not mapped for VM {self.vm.name}")
        if not isinstance(self.machine.memory.find(found.pa), RamRegion):
            raise GuestMemoryError(f"IPA {ipa:#010x} is a device, not memory")
        return found.pa

    def _pieces(self, address: int, length: int) -> list[tuple[int, int]]:
        pieces = []
        while length > 0:
            size = min(length, PAGE - address % PAGE)
            pieces.append((self.to_pa(self.to_ipa(address)), size))
            address, length = address + size, length - size
        return pieces

    def _word(self, ipa: int) -> int:
        return int.from_bytes(self.machine.memory.read(self.to_pa(ipa), 4), "little")
