"""Generated device trees, decoded by dtc: the machine's devices, nothing more."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from rthv.board.description import load_board
from rthv.board.devicetree import (
    DeviceTreeSpec,
    GicSpec,
    MemoryRange,
    PsciSpec,
    TimerSpec,
    UartSpec,
    build_device_tree,
    device_tree_blob,
    spec_from_board,
)
from rthv.board.fdt import FdtError

VIRT_TIMER = "interrupts = <0x01 0x0d 0x104 0x01 0x0e 0x104 0x01 0x0b 0x104 0x01 0x0a 0x104>;"


def decode(blob: bytes, tmp_path: Path) -> str:
    """``dtc -I dtb -O dts`` of ``blob``, with no warning from dtc's checks."""
    path = tmp_path / "tree.dtb"
    path.write_bytes(blob)
    done = subprocess.run(
        ["dtc", "-I", "dtb", "-O", "dts", str(path)], capture_output=True, text=True, check=True
    )
    assert done.stderr == ""
    return done.stdout


def node(text: str, name: str) -> str:
    """The body of the first node called ``name`` (up to its closing brace, no children)."""
    match = re.search(rf"\t{re.escape(name)} {{\n(.*?)\n\t*}};", text, re.DOTALL)
    assert match, f"no node {name} in:\n{text}"
    return match.group(1)


def virt_spec(**changes: object) -> DeviceTreeSpec:
    """The tree spec of the bare ``virt`` board, with ``changes`` applied."""
    return replace(spec_from_board(load_board("virt")), **changes)  # type: ignore[arg-type]


def test_virt_tree_root_cpu_and_memory(tmp_path: Path) -> None:
    """Root identity and cells as on QEMU virt, one Cortex-A15, the 128 MiB of RAM."""
    text = decode(device_tree_blob(virt_spec()), tmp_path)
    assert 'model = "linux,dummy-virt";' in text
    assert 'compatible = "linux,dummy-virt";' in text
    assert "\t#address-cells = <0x02>;\n\t#size-cells = <0x02>;" in text
    cpu = node(text, "cpu@0")
    assert 'device_type = "cpu";' in cpu
    assert 'compatible = "arm,cortex-a15";' in cpu
    assert "reg = <0x00>;" in cpu
    memory = node(text, "memory@40000000")
    assert 'device_type = "memory";' in memory
    assert "reg = <0x00 0x40000000 0x00 0x8000000>;" in memory


def test_virt_tree_gic_timer_uart_and_chosen(tmp_path: Path) -> None:
    """GICv2 as the interrupt parent, the four timer PPIs, PL011 on SPI 1 with its clocks."""
    text = decode(device_tree_blob(virt_spec()), tmp_path)
    gic = node(text, "interrupt-controller@8000000")
    assert 'compatible = "arm,cortex-a15-gic";' in gic
    assert "interrupt-controller;" in gic
    assert "#interrupt-cells = <0x03>;" in gic
    assert "reg = <0x00 0x8000000 0x00 0x1000 0x00 0x8010000 0x00 0x1000>;" in gic
    gic_phandle = re.search(r"phandle = <(0x[0-9a-f]+)>;", gic)
    assert gic_phandle
    assert f"\tinterrupt-parent = <{gic_phandle.group(1)}>;" in text
    timer = node(text, "timer")
    assert 'compatible = "arm,armv7-timer";' in timer
    assert VIRT_TIMER in timer
    assert "always-on;" in timer
    clock = node(text, "apb-pclk")
    assert 'compatible = "fixed-clock";' in clock
    assert "clock-frequency = <0x16e3600>;" in clock  # 24 MHz
    assert "#clock-cells = <0x00>;" in clock
    clock_phandle = re.search(r"phandle = <(0x[0-9a-f]+)>;", clock)
    assert clock_phandle
    uart = node(text, "serial@9000000")
    assert 'compatible = "arm,pl011\\0arm,primecell";' in uart
    assert "reg = <0x00 0x9000000 0x00 0x1000>;" in uart
    assert "interrupts = <0x00 0x01 0x04>;" in uart
    assert f"clocks = <{clock_phandle.group(1)} {clock_phandle.group(1)}>;" in uart
    assert 'clock-names = "uartclk\\0apb_pclk";' in uart
    assert 'stdout-path = "/serial@9000000";' in node(text, "chosen")
    assert 'serial0 = "/serial@9000000";' in node(text, "aliases")


def test_only_owned_devices_are_described(tmp_path: Path) -> None:
    """No flash, virtio-mmio, PCI, fw-cfg or PSCI node unless asked for."""
    text = decode(device_tree_blob(virt_spec()), tmp_path)
    for absent in ("flash", "cfi", "virtio", "pci", "fw-cfg", "psci", "config", "memreserve"):
        assert absent not in text


def test_one_cell_addresses(tmp_path: Path) -> None:
    """With #address-cells = #size-cells = 1, every reg uses single cells."""
    text = decode(device_tree_blob(virt_spec(cells=1)), tmp_path)
    assert "\t#address-cells = <0x01>;\n\t#size-cells = <0x01>;" in text
    assert "reg = <0x40000000 0x8000000>;" in node(text, "memory@40000000")
    assert "reg = <0x8000000 0x1000 0x8010000 0x1000>;" in text
    assert "reg = <0x9000000 0x1000>;" in node(text, "serial@9000000")


def test_psci_node_on_request(tmp_path: Path) -> None:
    """A PSCI 0.2 node names its conduit and the standard function IDs."""
    text = decode(device_tree_blob(virt_spec(psci=PsciSpec("smc"))), tmp_path)
    psci = node(text, "psci")
    assert 'compatible = "arm,psci-0.2\\0arm,psci";' in psci
    assert 'method = "smc";' in psci
    assert "cpu_on = <0x84000003>;" in psci
    assert "cpu_off = <0x84000002>;" in psci


def test_custom_machine(tmp_path: Path) -> None:
    """Two RAM ranges, two UARTs (console on the second), bootargs, reservations, config."""
    spec = DeviceTreeSpec(
        memory=(MemoryRange(0x8000_0000, 0x10_0000), MemoryRange(0x9000_0000, 0x20_0000)),
        gic=GicSpec(0x2C00_1000, 0x2C00_2000),
        uarts=(UartSpec(0x1C09_0000, 5), UartSpec(0x1C0A_0000, None)),
        timer=TimerSpec(always_on=False),
        cells=1,
        stdout_uart=1,
        bootargs="console=ttyAMA1",
        reserved=(MemoryRange(0x8000_0000, 0x1000),),
        firmware_config=(("bootdelay", -1), ("bootcmd", "version")),
    )
    text = decode(device_tree_blob(spec), tmp_path)
    assert "reg = <0x80000000 0x100000>;" in node(text, "memory@80000000")
    assert "reg = <0x90000000 0x200000>;" in node(text, "memory@90000000")
    assert "reg = <0x2c001000 0x1000 0x2c002000 0x2000>;" in text
    assert "interrupts = <0x00 0x05 0x04>;" in node(text, "serial@1c090000")
    assert "interrupts" not in node(text, "serial@1c0a0000")
    chosen = node(text, "chosen")
    assert 'stdout-path = "/serial@1c0a0000";' in chosen
    assert 'bootargs = "console=ttyAMA1";' in chosen
    aliases = node(text, "aliases")
    assert 'serial0 = "/serial@1c090000";' in aliases
    assert 'serial1 = "/serial@1c0a0000";' in aliases
    assert "always-on" not in text
    assert "/memreserve/\t0x0000000080000000 0x0000000000001000;" in text
    config = node(text, "config")
    assert "bootdelay = <0xffffffff>;" in config
    assert 'bootcmd = "version";' in config


def test_spec_from_vexpress_board() -> None:
    """A board with several PL011s lists its console first; SP804 timers are not described."""
    spec = spec_from_board(load_board("vexpress-a15"))
    assert [u.base for u in spec.uarts] == [0x1C09_0000, 0x1C0A_0000, 0x1C0B_0000, 0x1C0C_0000]
    assert [u.spi for u in spec.uarts] == [5, 6, 7, 8]
    assert spec.gic == GicSpec(0x2C00_1000, 0x2C00_2000, 0x1000, 0x1000)
    assert (spec.timer.phys_ppi, spec.timer.virt_ppi, spec.timer.hyp_ppi) == (14, 11, 10)
    assert spec.memory == (MemoryRange(0x8000_0000, 0x0800_0000),)
    board = replace(load_board("vexpress-a15"), console="uart2")
    assert [u.base for u in spec_from_board(board).uarts][:2] == [0x1C0B_0000, 0x1C09_0000]


def test_blob_is_what_dtc_would_write(tmp_path: Path) -> None:
    """dtc re-encodes the generated blob into exactly the same bytes."""
    source = tmp_path / "ours.dtb"
    again = tmp_path / "dtc.dtb"
    source.write_bytes(device_tree_blob(virt_spec(psci=PsciSpec())))
    subprocess.run(
        ["dtc", "-I", "dtb", "-O", "dtb", "-o", str(again), str(source)],
        check=True,
        capture_output=True,
    )
    assert again.read_bytes() == source.read_bytes()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"memory": ()}, "at least one memory range"),
        ({"stdout_uart": 3}, "stdout_uart"),
        ({"cells": 1, "memory": (MemoryRange(0x1_0000_0000, 0x1000),)}, "does not fit"),
        ({"timer": TimerSpec(hyp_ppi=16)}, "PPI"),
        ({"uarts": (UartSpec(0x0900_0000, 988),)}, "SPI"),
        ({"firmware_config": (("bootdelay", 1 << 32),)}, "one cell"),
    ],
)
def test_invalid_specs_are_rejected(changes: dict[str, object], message: str) -> None:
    """Impossible trees raise FdtError naming the problem."""
    with pytest.raises(FdtError, match=message):
        build_device_tree(virt_spec(**changes))
