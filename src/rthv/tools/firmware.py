"""Booting unmodified third-party firmware (e.g. U-Boot for QEMU ``virt``) bare-metal on a board.

The firmware image goes into the board's flash (its first ROM region), a generated device tree
describing exactly the board's devices goes to the start of RAM (where QEMU puts its tree and
where U-Boot's qemu-arm board code looks for it), and the CPU starts at the flash base, as after
a power-on reset. Console output is collected; a run can stop exactly at the first block boundary
after a marker (such as U-Boot's ``=>`` prompt) has been printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

from rthv.board.cpu_exit import CpuExit, ExitKind
from rthv.board.description import BoardDescription, load_board
from rthv.board.device import MmioDevice
from rthv.board.devicetree import FIRMWARE_FREE_SPACE, device_tree_blob, spec_from_board
from rthv.board.machine import ConsoleSink, Machine
from rthv.board.memory import RamRegion
from rthv.board.run_result import StopCause

UBOOT_QEMU_ARM = Path("/usr/lib/u-boot/qemu_arm/u-boot.bin")
UBOOT_PROMPT = "=> "
NO_AUTOBOOT: tuple[tuple[str, int | str], ...] = (("bootdelay", -1),)


class FirmwareError(RuntimeError):
    """Firmware that cannot be loaded, or that did not print what was awaited in time."""


@dataclass(frozen=True)
class BusFault:
    """An access that found nothing (or a read-only flash) behind an address."""

    kind: ExitKind
    pc: int
    address: int
    write: bool
    unmapped: bool


@dataclass
class MmioTrace:
    """Per device window: the lowest and highest register offsets accessed, and access counts."""

    spans: dict[str, tuple[int, int]] = field(default_factory=dict)
    reads: dict[str, int] = field(default_factory=dict)
    writes: dict[str, int] = field(default_factory=dict)

    def note(self, name: str, offset: int, write: bool) -> None:
        """Record one access."""
        low, high = self.spans.get(name, (offset, offset))
        self.spans[name] = (min(low, offset), max(high, offset))
        counts = self.writes if write else self.reads
        counts[name] = counts.get(name, 0) + 1


@dataclass
class FirmwareBoot:
    """A board running firmware: its machine, console text and what the firmware touched."""

    machine: Machine
    console: bytearray = field(default_factory=bytearray)
    faults: list[BusFault] = field(default_factory=list)
    mmio: MmioTrace = field(default_factory=MmioTrace)
    _marker: bytes = b""
    _search_from: int = 0
    _seen: bool = False

    @property
    def output(self) -> str:
        """Everything the console UART printed so far."""
        return self.console.decode(errors="replace")

    @property
    def ms(self) -> Fraction:
        """Virtual time so far, in milliseconds."""
        return self.machine.clock.to_ns(self.machine.clock.now()) / 1_000_000

    def type(self, text: str) -> None:
        """Send ``text`` to the console UART, as typed on a terminal."""
        self.machine.uart().inject(text.encode())

    def run_until_output(self, marker: str, *, limit_ms: int = 1000, start: int = 0) -> int:
        """Run until ``marker`` is printed past console offset ``start``; returns the cycle."""
        # The run stops at the first block boundary after the byte completing the marker was
        # written, so the instruction count at that point is exact and reproducible.
        machine = self.machine
        self._marker, self._search_from, self._seen = marker.encode(), start, False
        self._check()
        limit = machine.clock.now() + machine.clock.from_ns(limit_ms * 1_000_000)
        try:
            while not self._seen:
                result = machine.run(limit)
                if result.cause is not StopCause.HALTED and not self._seen:
                    tail = self.output[-400:]
                    raise FirmwareError(
                        f"{marker!r} not printed within {limit_ms} ms "
                        f"({result.cause.value}); console ends with {tail!r}"
                    )
        finally:
            self._marker = b""
        return machine.clock.now()

    def _received(self, data: bytes) -> None:
        self.console += data
        if self._marker and not self._seen:
            self._check()
            if self._seen:
                self.machine.halted = True  # stop at the next block boundary: an exact point
                self.machine.core.counter.request_stop()

    def _check(self) -> None:
        if self._marker and self.console.find(self._marker, self._search_from) >= 0:
            self._seen = True


def device_tree_for(
    board: BoardDescription, firmware_config: tuple[tuple[str, int | str], ...] = ()
) -> bytes:
    """The DTB describing ``board`` as it is (no flash, virtio or PCI nodes)."""
    spec = replace(spec_from_board(board), firmware_config=firmware_config)
    return device_tree_blob(spec, free_space=FIRMWARE_FREE_SPACE)


def boot_firmware_bare(
    firmware: Path,
    board: str = "virt",
    *,
    dtb: bytes | None = None,
    firmware_config: tuple[tuple[str, int | str], ...] = NO_AUTOBOOT,
    frequency_hz: int = 1_000_000_000,
    cpi: int = 1,
    native_counter: bool | None = None,
    echo: ConsoleSink | None = None,
) -> FirmwareBoot:
    """A fresh ``board`` with ``firmware`` in its flash, a DTB at the start of RAM, CPU at reset."""
    # ``dtb`` replaces the generated tree; ``firmware_config`` goes into the generated tree's
    # ``/config`` node: by default U-Boot's ``bootdelay = -1``, straight to the prompt with no
    # countdown (two seconds of busy-waiting on the trapped counter) and no boot attempt.
    description = load_board(board)
    if not description.rom:
        raise FirmwareError(f"board {board} has no flash (ROM) to hold firmware")
    if not firmware.is_file():
        raise FirmwareError(f"{firmware}: no such firmware file")
    image = firmware.read_bytes()
    flash, ram = description.rom[0], description.ram[0]
    if not 0 < len(image) <= flash.size:
        raise FirmwareError(f"{firmware}: {len(image)} bytes do not fit in {flash.name}")
    blob = device_tree_for(description, firmware_config) if dtb is None else dtb
    boot: FirmwareBoot | None = None

    def sink(name: str, data: bytes) -> None:
        if name == description.console and boot is not None:
            boot._received(data)
        if echo is not None:
            echo(name, data)

    machine = Machine(
        description, frequency_hz=frequency_hz, cpi=cpi, native_counter=native_counter, console=sink
    )
    faults: list[BusFault] = []

    def record_bus_fault(exit: CpuExit) -> None:  # before the board handles it, as PL1 would
        if exit.kind in (ExitKind.DATA_ABORT, ExitKind.PREFETCH_ABORT):
            faults.append(BusFault(exit.kind, exit.pc, exit.address, exit.write, exit.unmapped))

    machine.exception_observers.append(record_bus_fault)
    boot = FirmwareBoot(machine, faults=faults)
    _trace_devices(machine, boot.mmio)
    machine.memory.write(flash.base, image)
    machine.memory.write(ram.base, blob)
    machine.reset(flash.base)
    return boot


def _trace_devices(machine: Machine, trace: MmioTrace) -> None:
    """Map every device window of the core again, through a ``TracedDevice`` noting each
    access in ``trace``."""
    core = machine.core
    for region in machine.memory.regions:
        if isinstance(region, RamRegion):
            continue
        core.unmap(region.base, region.size)
        traced = TracedDevice(region.device, region.name, trace)
        core.map_device(region.base, region.size, traced, timed=region.timed)


class TracedDevice:
    """A device's registers as they are, each access noted in a ``MmioTrace`` first."""

    def __init__(self, device: MmioDevice, name: str, trace: MmioTrace) -> None:
        self._device, self._name, self._trace = device, name, trace

    def read(self, offset: int, size: int) -> int:
        """Note, then read the device."""
        self._trace.note(self._name, offset, write=False)
        return self._device.read(offset, size)

    def write(self, offset: int, size: int, value: int) -> None:
        """Note, then write the device."""
        self._trace.note(self._name, offset, write=True)
        self._device.write(offset, size, value)
