"""Shared helpers for the tests: locating built guests and booting them on a board."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import unicorn

from rthv.board.clock import VirtualClock
from rthv.board.cpu import CpuCore
from rthv.board.events import EventQueue
from rthv.board.machine import Machine
from rthv.board.signal import Signal
from rthv.tools.bare import boot_bare
from rthv.tools.process_output import QEMU_DETERMINISTIC, qemu_command, read_until

REPO = Path(__file__).resolve().parents[1]
GUEST_BUILD = REPO / "guests" / "build"
# How long a QEMU cross-check may wait for its marker (they take about a second): a bound on
# waiting, not a timed assertion. QEMU runs deterministically (-icount), so its output does not
# depend on the host's load.
QEMU_SECONDS = 60


def guest_image(name: str, board: str = "vexpress-a15") -> Path:
    """Path of a built guest image; fails (never skips) when the build is missing."""
    path = GUEST_BUILD / board / f"{name}.elf"
    if not path.is_file():
        pytest.fail(f"{path} is missing: build the guests with `make -C guests`")
    return path


@dataclass
class Booted:
    """A board with an image loaded, collecting what each UART prints."""

    machine: Machine
    consoles: dict[str, bytearray] = field(default_factory=dict)

    def output(self, uart: str = "uart0") -> str:
        """Text printed on ``uart`` so far."""
        return self.consoles.get(uart, bytearray()).decode()


def boot(image: Path, board: str = "vexpress-a15", *, native_counter: bool | None = None) -> Booted:
    """A fresh board with ``image`` loaded and the CPU at its entry point."""
    consoles: dict[str, bytearray] = {}
    machine = boot_bare(
        image,
        board=board,
        native_counter=native_counter,
        console=lambda name, data: consoles.setdefault(name, bytearray()).extend(data),
    )
    return Booted(machine, consoles)


class InstructionTrace:
    """Every executed instruction's address, from a per-instruction hook (slow, obviously right).

    Unicorn's per-instruction hook is not called for a T32 IT instruction nor for instructions
    of an IT block that fail their condition, so references taken with it avoid IT blocks.
    """

    def __init__(self, uc: unicorn.Uc) -> None:
        self.addresses: list[int] = []
        uc.hook_add(unicorn.UC_HOOK_CODE, self._step)

    def _step(self, _uc: unicorn.Uc, address: int, _size: int, _data: object) -> None:
        self.addresses.append(address)

    @property
    def count(self) -> int:
        """Instructions executed so far."""
        return len(self.addresses)


class ReferenceCounter(InstructionTrace):
    """An ``InstructionTrace`` over a machine's CPU core.

    An instruction that accesses a timed device runs twice (first attempt abandoned), and the
    per-instruction hook sees both: ``count`` subtracts the abandoned attempts.
    """

    def __init__(self, machine: Machine) -> None:
        super().__init__(machine.core.uc)
        self._core = machine.core

    @property
    def count(self) -> int:
        """Instructions executed so far."""
        return len(self.addresses) - self._core.timed_accesses


def assemble(source: str, *, thumb: bool = False, base: int = 0x80000000) -> bytes:
    """Machine code for ``source`` (GNU as syntax), linked to run at ``base``."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        mode = ".syntax unified\n.thumb\n" if thumb else ".syntax unified\n.arm\n"
        (folder / "code.S").write_text(mode + source + "\n")
        common = ["-mcpu=cortex-a15"]
        subprocess.run(
            ["arm-none-eabi-as", *common, "-o", str(folder / "code.o"), str(folder / "code.S")],
            check=True,
        )
        subprocess.run(
            [
                "arm-none-eabi-ld",
                f"-Ttext={base:#x}",
                "-e",
                f"{base:#x}",
                "-o",
                str(folder / "code.elf"),
                str(folder / "code.o"),
            ],
            check=True,
        )
        subprocess.run(
            [
                "arm-none-eabi-objcopy",
                "-O",
                "binary",
                str(folder / "code.elf"),
                str(folder / "code.bin"),
            ],
            check=True,
        )
        return (folder / "code.bin").read_bytes()


def core_with_code(
    code: bytes, *, thumb: bool = False, native: bool | None = None, base: int = 0x80000000
) -> CpuCore:
    """A CPU core with 64 KiB of RAM at ``base`` holding ``code``, PC at its start."""
    from rthv.board.registers import Reg

    core = CpuCore("test", native_counter=native)
    core.uc.mem_map(base, 0x10000)
    core.uc.mem_write(base, code)
    core.regs[Reg.CPSR] = 0x1D3
    core.regs.branch(base, thumb)
    core.flush_code()
    return core


def run_until_output(
    booted: Booted, marker: str, *, limit_ms: int, step_ms: int = 10, uart: str = "uart0"
) -> int:
    """Run in exact steps of ``step_ms`` until ``uart`` prints ``marker``; returns the cycle."""
    machine = booted.machine
    for step in range(1, limit_ms // step_ms + 1):
        machine.run(machine.clock.from_ns(step * step_ms * 1_000_000))
        if marker in booted.output(uart):
            return machine.clock.now()
    pytest.fail(f"{marker!r} not printed within {limit_ms} ms; got {booted.output(uart)!r}")


def run_on_qemu(image: Path, marker: str, machine: str = "vexpress-a15") -> str:
    """Console output of ``image`` on the deterministic QEMU (one instruction per ns, as rthv's
    instruction-count timing) up to and including the line holding ``marker``."""
    command = qemu_command(image, *QEMU_DETERMINISTIC, machine=machine)
    with subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    ) as process:
        buffer = read_until(process, lambda out: _has_line(out, marker), QEMU_SECONDS)
        process.kill()
    text = buffer.decode(errors="replace").replace("\r\n", "\n")
    end = text.find("\n", text.find(marker))
    output = text if end < 0 else text[: end + 1]
    assert marker in output, f"QEMU never printed {marker!r}; got {output!r}"
    return output


def _has_line(buffer: bytes, marker: str) -> bool:
    """True once the line holding ``marker`` has arrived in full."""
    at = buffer.find(marker.encode())
    return at >= 0 and b"\n" in buffer[at:]


class TimeBench:
    """A real clock and event queue without a CPU: idle to any cycle, events at exact times."""

    def __init__(self) -> None:
        self.clock = VirtualClock(1_000_000_000)
        self.events = EventQueue()

    def run_to(self, cycles: int) -> None:
        """Idle to ``cycles``, dispatching every event at its own exact time."""
        while (due := self.events.peek()) is not None and due <= cycles:
            self.clock.advance_to(due)
            self.events.run_due(due)
        self.clock.advance_to(cycles)

    def record(self, signal: Signal) -> list[tuple[int, bool]]:
        """Log (cycle, level) of every change of ``signal``."""
        log: list[tuple[int, bool]] = []
        signal.connect(lambda level: log.append((self.clock.now(), level)))
        return log


# Code, a word of .data right after it, then 64 bytes of .bss: segments to place and zero-fill.
DATA_AND_BSS_PROGRAM = """
    .syntax unified
    .global _start
    .text
_start:
    mov r0, #1
    b .
    .data
value:
    .word 0x11223344
    .bss
buffer:
    .space 64
"""


def link_elf(folder: Path, text_address: int, source: str = DATA_AND_BSS_PROGRAM) -> Path:
    """Assemble and link ``source`` with .text at ``text_address``; returns the ELF."""
    import subprocess

    asm = folder / "guest.s"
    elf = folder / f"guest-{text_address:08x}.elf"
    asm.write_text(source)
    subprocess.run(
        ["arm-none-eabi-gcc", "-nostdlib", f"-Ttext={text_address:#x}", str(asm), "-o", str(elf)],
        check=True,
        capture_output=True,
    )
    return elf


# A guest whose vector table (at VBAR) takes UNDEFINED to ``mov r6, #7; wfi``: r5 is 1 before
# ``{access}`` and 2 after it (``str.format`` it with the instruction to try).
UNDEFINED_GUEST = """
    ldr r0, =vectors
    mcr p15, 0, r0, c12, c0, 0  @ VBAR
    mov r5, #1
access:
    {access}
    mov r5, #2
    wfi
    .balign 32
vectors:
    b .
    b undefined
    .rept 6
    b .
    .endr
undefined:
    mov r6, #7
    wfi
"""
