"""The device tree a guest boots with: only what its machine (a VM or the bare board) has.

The tree follows the bindings Linux and U-Boot use for QEMU's ``virt`` machine: a
``linux,dummy-virt`` root, a GICv2 (``arm,cortex-a15-gic``), the architected timer
(``arm,armv7-timer``), PL011 UARTs clocked by a fixed 24 MHz ``apb-pclk``, memory nodes and
``/chosen`` (``stdout-path``; for Linux also ``bootargs`` and the initramfs's
``linux,initrd-start``/``-end``), and for Linux a PSCI node. Devices a machine does not own
(flash, virtio-mmio, PCI) are absent, so firmware never probes them. Interrupt specifiers are
GIC triples: type (0 SPI, 1 PPI), number (INTID - 32 for SPIs, INTID - 16 for PPIs) and flags
(trigger, plus the CPU mask for PPIs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

from rthv.board.description import BoardDescription, GenericTimerLayout
from rthv.board.fdt import FdtError, FdtNode, FlattenedDeviceTree, address_cells
from rthv.board.gic.regs import FIRST_PPI, FIRST_SPI, GICC_WINDOW_SIZE, GICD_WINDOW_SIZE
from rthv.board.memory import PAGE_SIZE

GIC_SPI: Final = 0
GIC_PPI: Final = 1
IRQ_TYPE_LEVEL_HIGH: Final = 4
APB_PCLK_HZ: Final = 24_000_000
DUMMY_VIRT: Final = "linux,dummy-virt"
# PSCI 0.2 function IDs (SMC32 calling convention).
PSCI_0_2_FUNCTIONS: Final = (
    ("cpu_suspend", 0x84000001),
    ("cpu_off", 0x84000002),
    ("cpu_on", 0x84000003),
    ("migrate", 0x84000005),
)


@dataclass(frozen=True)
class MemoryRange:
    """A physical address range: base and size in bytes."""

    base: int
    size: int


@dataclass(frozen=True)
class GicSpec:
    """GICv2 register blocks as the machine maps them: distributor and CPU interface."""

    distributor: int
    cpu_interface: int
    distributor_size: int = GICD_WINDOW_SIZE
    cpu_interface_size: int = GICC_WINDOW_SIZE


@dataclass(frozen=True)
class TimerSpec:
    """The architected timer's four PPI numbers (INTID - 16), in binding order."""

    secure_phys_ppi: int = 13
    phys_ppi: int = 14
    virt_ppi: int = 11
    hyp_ppi: int = 10
    always_on: bool = True

    @classmethod
    def of(cls, timer: GenericTimerLayout) -> TimerSpec:
        """The PPIs a board's generic timer is wired to."""
        return cls(
            phys_ppi=timer.phys_irq - FIRST_PPI,
            virt_ppi=timer.virt_irq - FIRST_PPI,
            hyp_ppi=timer.hyp_irq - FIRST_PPI,
        )


@dataclass(frozen=True)
class UartSpec:
    """A PL011: register block and its SPI number (INTID - 32), if its interrupt is wired."""

    base: int
    spi: int | None
    size: int = 0x1000


@dataclass(frozen=True)
class PsciSpec:
    """A PSCI 0.2 firmware interface and its conduit."""

    method: Literal["hvc", "smc"] = "hvc"


@dataclass(frozen=True)
class DeviceTreeSpec:
    """Everything the generated tree describes; ``stdout_uart`` indexes ``uarts``."""

    memory: tuple[MemoryRange, ...]
    gic: GicSpec
    uarts: tuple[UartSpec, ...]
    timer: TimerSpec = field(default_factory=TimerSpec)
    model: str = DUMMY_VIRT
    compatible: tuple[str, ...] = (DUMMY_VIRT,)
    cells: Literal[1, 2] = 2
    cpu_compatible: str = "arm,cortex-a15"
    stdout_uart: int | None = 0
    psci: PsciSpec | None = None
    bootargs: str | None = None
    initrd: MemoryRange | None = None
    reserved: tuple[MemoryRange, ...] = ()
    firmware_config: tuple[tuple[str, int | str], ...] = ()


def build_device_tree(spec: DeviceTreeSpec) -> FlattenedDeviceTree:
    """The tree for ``spec``."""
    if not spec.memory:
        raise FdtError("a device tree needs at least one memory range")
    tree = FlattenedDeviceTree()
    root = tree.root
    root.set_string("model", spec.model)
    root.set_strings("compatible", spec.compatible)
    root.set_u32("#address-cells", spec.cells)
    root.set_u32("#size-cells", spec.cells)
    gic = FdtNode(f"interrupt-controller@{spec.gic.distributor:x}")
    root.set_u32("interrupt-parent", tree.phandle(gic))
    _add_cpus(root, spec)
    if spec.psci is not None:
        _add_psci(root, spec.psci)
    for region in spec.memory:
        memory = root.add_node(f"memory@{region.base:x}")
        memory.set_string("device_type", "memory")
        memory.set_bytes("reg", _reg(spec, region))
    _add_gic(root, gic, spec)
    _add_timer(root, spec.timer)
    clock = root.add_node("apb-pclk")
    clock.set_string("compatible", "fixed-clock")
    clock.set_u32("#clock-cells", 0)
    clock.set_u32("clock-frequency", APB_PCLK_HZ)
    clock.set_string("clock-output-names", "clk24mhz")
    pclk = tree.phandle(clock)
    paths = [_add_uart(root, uart, pclk, spec) for uart in spec.uarts]
    if paths:
        aliases = root.add_node("aliases")
        for index, path in enumerate(paths):
            aliases.set_string(f"serial{index}", path)
    chosen = root.add_node("chosen")
    if spec.stdout_uart is not None:
        if not 0 <= spec.stdout_uart < len(paths):
            raise FdtError(f"stdout_uart {spec.stdout_uart} is not one of {len(paths)} UART(s)")
        chosen.set_string("stdout-path", paths[spec.stdout_uart])
    if spec.bootargs is not None:
        chosen.set_string("bootargs", spec.bootargs)
    if spec.initrd is not None:
        initrd = spec.initrd
        chosen.set_bytes("linux,initrd-start", address_cells(initrd.base, spec.cells))
        chosen.set_bytes("linux,initrd-end", address_cells(initrd.base + initrd.size, spec.cells))
    if spec.firmware_config:
        _add_config(root, spec.firmware_config)
    for region in spec.reserved:
        tree.reserve(region.base, region.size)
    return tree


# Free space in a tree handed to a boot loader. U-Boot edits its tree in place before it boots a
# kernel (chosen, memory; CONFIG_SYS_FDT_PAD = 12 KiB of growth) and reserves no more than the
# tree's totalsize for it: without room, the edits overwrite U-Boot's global data, which lies
# right above. QEMU's virt trees have 1 MiB; 64 KiB is plenty.
FIRMWARE_FREE_SPACE = 0x10000


def device_tree_blob(spec: DeviceTreeSpec, *, free_space: int = 0) -> bytes:
    """The DTB for ``spec``, with ``free_space`` bytes of room at its end."""
    return build_device_tree(spec).to_bytes(free_space=free_space)


def _reg(spec: DeviceTreeSpec, *ranges: MemoryRange) -> bytes:
    return b"".join(
        address_cells(r.base, spec.cells) + address_cells(r.size, spec.cells) for r in ranges
    )


def _add_cpus(root: FdtNode, spec: DeviceTreeSpec) -> None:
    cpus = root.add_node("cpus")
    cpus.set_u32("#address-cells", 1)
    cpus.set_u32("#size-cells", 0)
    cpu = cpus.add_node("cpu@0")
    cpu.set_string("device_type", "cpu")
    cpu.set_string("compatible", spec.cpu_compatible)
    cpu.set_u32("reg", 0)


def _add_psci(root: FdtNode, psci: PsciSpec) -> None:
    node = root.add_node("psci")
    node.set_strings("compatible", ("arm,psci-0.2", "arm,psci"))
    node.set_string("method", psci.method)
    for name, function in PSCI_0_2_FUNCTIONS:
        node.set_u32(name, function)


def _add_config(root: FdtNode, settings: tuple[tuple[str, int | str], ...]) -> None:
    """U-Boot's ``/config`` node: settings such as ``bootdelay`` (-1: no autoboot)."""
    node = root.add_node("config")
    for name, value in settings:
        if isinstance(value, str):
            node.set_string(name, value)
        elif -(1 << 31) <= value < (1 << 32):
            node.set_u32(name, value & 0xFFFFFFFF)
        else:
            raise FdtError(f"config {name} = {value} does not fit in one cell")


def _add_gic(root: FdtNode, gic: FdtNode, spec: DeviceTreeSpec) -> None:
    root.children.append(gic)
    layout = spec.gic
    gic.set_string("compatible", "arm,cortex-a15-gic")
    gic.set_empty("interrupt-controller")
    gic.set_u32("#interrupt-cells", 3)
    gic.set_u32("#address-cells", 0)  # no interrupt-map children: dtc wants it stated
    gic.set_bytes(
        "reg",
        _reg(
            spec,
            MemoryRange(layout.distributor, layout.distributor_size),
            MemoryRange(layout.cpu_interface, layout.cpu_interface_size),
        ),
    )


def _add_timer(root: FdtNode, timer: TimerSpec) -> None:
    node = root.add_node("timer")
    node.set_string("compatible", "arm,armv7-timer")
    flags = (1 << 8) | IRQ_TYPE_LEVEL_HIGH  # CPU 0 in the PPI's CPU mask, level-high
    cells: list[int] = []
    for ppi in (timer.secure_phys_ppi, timer.phys_ppi, timer.virt_ppi, timer.hyp_ppi):
        if not 0 <= ppi < 16:
            raise FdtError(f"timer PPI {ppi} is not in 0..15")
        cells += (GIC_PPI, ppi, flags)
    node.set_u32("interrupts", *cells)
    if timer.always_on:
        node.set_empty("always-on")


def _add_uart(root: FdtNode, uart: UartSpec, pclk: int, spec: DeviceTreeSpec) -> str:
    name = f"serial@{uart.base:x}"
    node = root.add_node(name)
    node.set_strings("compatible", ("arm,pl011", "arm,primecell"))
    node.set_bytes("reg", _reg(spec, MemoryRange(uart.base, uart.size)))
    if uart.spi is not None:
        if not 0 <= uart.spi < 988:
            raise FdtError(f"UART SPI {uart.spi} is out of range")
        node.set_u32("interrupts", GIC_SPI, uart.spi, IRQ_TYPE_LEVEL_HIGH)
    node.set_u32("clocks", pclk, pclk)
    node.set_strings("clock-names", ("uartclk", "apb_pclk"))
    return f"/{name}"


def spec_from_board(board: BoardDescription, *, cells: Literal[1, 2] = 2) -> DeviceTreeSpec:
    """The tree of a bare board: its RAM, GIC, generic timer and PL011 UARTs (console first)."""
    uarts = sorted((d for d in board.devices if d.is_uart), key=lambda d: d.name != board.console)
    return DeviceTreeSpec(
        memory=tuple(MemoryRange(block.base, block.size) for block in board.ram),
        gic=GicSpec(board.gic.distributor, board.gic.cpu_interface, PAGE_SIZE, PAGE_SIZE),
        uarts=tuple(UartSpec(d.base, _spi(d.irqs[0]) if d.irqs else None, d.size) for d in uarts),
        timer=TimerSpec.of(board.generic_timer),
        cells=cells,
    )


def _spi(intid: int) -> int:
    if intid < FIRST_SPI:
        raise FdtError(f"interrupt ID {intid} is not an SPI")
    return intid - FIRST_SPI
