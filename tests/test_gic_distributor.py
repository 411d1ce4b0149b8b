"""GICv2 distributor: register map, interrupt state, input lines, SGIs and routing."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from rthv.board.gic import GicCpuInterface, GicDistributor
from rthv.board.gic.regs import (
    GICC_CTLR_ENABLE_GRP0,
    GICD_CPENDSGIR,
    GICD_CTLR,
    GICD_ICACTIVER,
    GICD_ICENABLER,
    GICD_ICFGR,
    GICD_ICPENDR,
    GICD_IGROUPR,
    GICD_IIDR,
    GICD_IPRIORITYR,
    GICD_ISACTIVER,
    GICD_ISENABLER,
    GICD_ISPENDR,
    GICD_ITARGETSR,
    GICD_SGIR,
    GICD_SPENDSGIR,
    GICD_TYPER,
)

SPI = 34  # bank 1, bit 2
SPI_BIT = 1 << 2
SPI_WORD = 4  # byte offset of the register holding bit-per-interrupt state of IDs 32..63
FILTER_OTHERS = 1 << 24
FILTER_SELF = 2 << 24


def test_identification_registers() -> None:
    """TYPER reports lines and CPUs; IIDR and the CoreSight IDs describe an ARM GICv2."""
    gicd = GicDistributor(96, num_cpus=2)
    assert gicd.read(GICD_TYPER, 4) == 0x22
    assert gicd.read(GICD_IIDR, 4) == 0x0200043B
    assert gicd.read(0xFE8, 4) == 0x2B  # ICPIDR2: architecture revision 2
    assert [gicd.read(0xFF0 + 4 * i, 4) for i in range(4)] == [0x0D, 0xF0, 0x05, 0xB1]
    assert GicDistributor(1020).read(GICD_TYPER, 4) == 31


def test_constructor_rejects_bad_sizes() -> None:
    """Impossible interrupt, CPU or priority-bit counts are refused."""
    with pytest.raises(ValueError):
        GicDistributor(16)
    with pytest.raises(ValueError):
        GicDistributor(64, num_cpus=9)
    with pytest.raises(ValueError):
        GicDistributor(64, priority_bits=3)


def test_ctlr_enable_and_igroupr_raz_wi() -> None:
    """GICD_CTLR keeps only the enable bit; IGROUPR reads zero whatever is written."""
    gicd = GicDistributor(64)
    gicd.write(GICD_CTLR, 4, 0xFFFF_FFFF)
    assert gicd.read(GICD_CTLR, 4) == 1
    assert gicd.enabled
    gicd.write(GICD_IGROUPR + SPI_WORD, 4, 0xFFFF_FFFF)
    assert gicd.read(GICD_IGROUPR + SPI_WORD, 4) == 0


def test_enable_set_and_clear() -> None:
    """ISENABLER sets, ICENABLER clears, both read back the enable bits."""
    gicd = GicDistributor(64)
    gicd.write(GICD_ISENABLER + SPI_WORD, 4, SPI_BIT)
    assert gicd.is_enabled(SPI)
    assert gicd.read(GICD_ISENABLER + SPI_WORD, 4) == SPI_BIT
    assert gicd.read(GICD_ICENABLER + SPI_WORD, 4) == SPI_BIT
    gicd.write(GICD_ISENABLER + SPI_WORD, 4, 0)  # zeros have no effect
    assert gicd.is_enabled(SPI)
    gicd.write(GICD_ICENABLER + SPI_WORD, 4, SPI_BIT)
    assert not gicd.is_enabled(SPI)
    assert gicd.read(GICD_ISENABLER + SPI_WORD, 4) == 0


def test_priority_bytes_keep_five_bits() -> None:
    """IPRIORITYR is byte-accessible and, like a Cortex-A15, keeps only the top 5 bits."""
    gicd = GicDistributor(64)
    gicd.write(GICD_IPRIORITYR + SPI, 1, 0xFF)
    gicd.write(GICD_IPRIORITYR + SPI + 1, 1, 0x47)
    assert gicd.read(GICD_IPRIORITYR + SPI, 1) == 0xF8
    assert gicd.priority(SPI + 1) == 0x40
    assert gicd.read(GICD_IPRIORITYR + 32, 4) == 0x40F8_0000
    gicd.write(GICD_IPRIORITYR + 32, 4, 0x1234_5678)
    assert gicd.read(GICD_IPRIORITYR + 32, 4) == 0x1030_5078
    assert gicd.read(GICD_IPRIORITYR + 33, 2) == 0x3050


def test_priority_bits_parameter() -> None:
    """The number of implemented priority bits is a constructor parameter."""
    gicd8 = GicDistributor(64, priority_bits=8)
    gicd4 = GicDistributor(64, priority_bits=4)
    gicd8.write(GICD_IPRIORITYR + SPI, 1, 0xFF)
    gicd4.write(GICD_IPRIORITYR + SPI, 1, 0xFF)
    assert gicd8.priority(SPI) == 0xFF
    assert gicd4.priority(SPI) == 0xF0


def test_itargetsr_banked_reads_own_cpu() -> None:
    """SGI/PPI target bytes are read-only and read as the accessing CPU's bit."""
    gicd = GicDistributor(64, num_cpus=4)
    assert gicd.read(GICD_ITARGETSR, 4) == 0x0101_0101
    assert gicd.view(2).read(GICD_ITARGETSR + 28, 4) == 0x0404_0404
    gicd.view(2).write(GICD_ITARGETSR + 28, 4, 0xFFFF_FFFF)
    assert gicd.view(2).read(GICD_ITARGETSR + 28, 1) == 0x04
    assert gicd.targets(27, cpu=3) == 0x08


def test_itargetsr_spi_bytes() -> None:
    """SPI target bytes are writable byte by byte; bits for absent CPUs are dropped."""
    gicd = GicDistributor(64, num_cpus=2)
    assert gicd.read(GICD_ITARGETSR + 32, 4) == 0
    gicd.write(GICD_ITARGETSR + SPI, 1, 0x02)
    gicd.write(GICD_ITARGETSR + SPI + 1, 1, 0xFF)
    assert gicd.targets(SPI) == 0x02
    assert gicd.targets(SPI + 1) == 0x03
    assert gicd.read(GICD_ITARGETSR + 32, 4) == 0x0302_0000


def test_icfgr_sgis_fixed_edge_spis_programmable() -> None:
    """ICFGR0 reads all-edge and ignores writes; SPI fields toggle level/edge, bit 0 RAZ."""
    gicd = GicDistributor(64)
    assert gicd.read(GICD_ICFGR, 4) == 0xAAAA_AAAA
    gicd.write(GICD_ICFGR, 4, 0)
    assert gicd.read(GICD_ICFGR, 4) == 0xAAAA_AAAA
    assert gicd.read(GICD_ICFGR + 8, 4) == 0
    gicd.write(GICD_ICFGR + 8, 4, 0x3 << 4)  # ID 34 = field 2 of ICFGR2
    assert gicd.read(GICD_ICFGR + 8, 4) == 0x2 << 4
    assert gicd.is_edge(SPI)
    gicd.write(GICD_ICFGR + 4, 4, 0x2 << 22)  # PPI 27 becomes edge-triggered
    assert gicd.is_edge(27)


def test_level_input_pending_follows_line() -> None:
    """A level-sensitive input is pending while high; ICPENDR cannot clear a high line."""
    gicd = GicDistributor(64)
    line = gicd.input_line(SPI)
    line.set(True)
    assert gicd.is_pending(SPI)
    assert gicd.read(GICD_ISPENDR + SPI_WORD, 4) == SPI_BIT
    gicd.write(GICD_ICPENDR + SPI_WORD, 4, SPI_BIT)
    assert gicd.is_pending(SPI)
    line.set(False)
    assert not gicd.is_pending(SPI)
    assert gicd.read(GICD_ICPENDR + SPI_WORD, 4) == 0


def test_level_software_pending_latch() -> None:
    """ISPENDR latches a level interrupt pending until ICPENDR or an acknowledge clears it."""
    gicd = GicDistributor(64)
    gicd.write(GICD_ISPENDR + SPI_WORD, 4, SPI_BIT)
    assert gicd.is_pending(SPI)
    gicd.set_input(SPI, True)
    gicd.set_input(SPI, False)
    assert gicd.is_pending(SPI)
    gicd.write(GICD_ICPENDR + SPI_WORD, 4, SPI_BIT)
    assert not gicd.is_pending(SPI)
    gicd.write(GICD_ISPENDR + SPI_WORD, 4, SPI_BIT)
    gicd.acknowledge(SPI)  # acknowledging clears the software latch
    assert not gicd.is_pending(SPI)
    assert gicd.is_active(SPI)


def test_edge_input_latches_rising_edge() -> None:
    """An edge-triggered input latches on the rising edge and stays pending after it falls."""
    gicd = GicDistributor(64)
    gicd.set_edge(SPI, True)
    gicd.set_input(SPI, True)
    gicd.set_input(SPI, False)
    assert gicd.is_pending(SPI)
    gicd.write(GICD_ICPENDR + SPI_WORD, 4, SPI_BIT)
    assert not gicd.is_pending(SPI)
    gicd.set_input(SPI, True)
    gicd.acknowledge(SPI)
    assert gicd.is_active(SPI)
    gicd.set_input(SPI, True)
    assert not gicd.is_pending(SPI)  # a line held high is no new edge
    gicd.set_input(SPI, False)
    gicd.set_input(SPI, True)
    assert gicd.is_pending(SPI) and gicd.is_active(SPI)


def test_ppi_input_lines_are_banked() -> None:
    """A PPI line of CPU 1 makes that interrupt pending on CPU 1 only."""
    gicd = GicDistributor(64, num_cpus=2)
    gicd.input_line(27, cpu=1).set(True)
    assert gicd.is_pending(27, cpu=1)
    assert not gicd.is_pending(27, cpu=0)
    assert gicd.view(1).read(GICD_ISPENDR, 4) == 1 << 27
    assert gicd.read(GICD_ISPENDR, 4) == 0
    assert gicd.input_line(27, cpu=1) is gicd.input_line(27, cpu=1)
    with pytest.raises(ValueError):
        gicd.input_line(3)


def test_active_set_and_clear() -> None:
    """ISACTIVER/ICACTIVER set and clear active state; an active interrupt is not forwarded."""
    gicd = GicDistributor(64)
    gicd.enabled = True
    gicd.set_enabled(SPI, True)
    gicd.set_targets(SPI, 1)
    gicd.set_pending(SPI, True)
    assert gicd.highest_pending(0) == (SPI, 0)
    gicd.write(GICD_ISACTIVER + SPI_WORD, 4, SPI_BIT)
    assert gicd.read(GICD_ICACTIVER + SPI_WORD, 4) == SPI_BIT
    assert gicd.highest_pending(0) is None
    gicd.write(GICD_ICACTIVER + SPI_WORD, 4, SPI_BIT)
    assert not gicd.is_active(SPI)
    assert gicd.highest_pending(0) == (SPI, 0)


def test_highest_pending_orders_by_priority_then_id() -> None:
    """Lower priority value wins; equal priorities go to the lower ID; targets filter CPUs."""
    gicd = GicDistributor(64, num_cpus=2)
    for irq, prio in ((40, 0xA0), (41, 0x80), (42, 0x80)):
        gicd.set_enabled(irq, True)
        gicd.set_priority(irq, prio)
        gicd.set_targets(irq, 0x1)
        gicd.set_pending(irq, True)
    assert gicd.highest_pending(0) is None  # distributor disabled
    gicd.write(GICD_CTLR, 4, 1)
    assert gicd.highest_pending(0) == (41, 0x80)
    assert gicd.highest_pending(1) is None
    gicd.set_targets(41, 0x2)
    assert gicd.highest_pending(0) == (42, 0x80)
    assert gicd.highest_pending(1) == (41, 0x80)
    gicd.set_enabled(42, False)
    assert gicd.highest_pending(0) == (40, 0xA0)


def test_sgir_target_list_and_filters() -> None:
    """SGIR delivers to the listed CPUs, to all others, or to the sender only."""
    gicd = GicDistributor(64, num_cpus=4)
    gicd.view(0).write(GICD_SGIR, 4, (0b0110 << 16) | 3)
    assert [gicd.pending_sgi_sources(3, cpu) for cpu in range(4)] == [0, 1, 1, 0]
    gicd.view(1).write(GICD_SGIR, 4, FILTER_OTHERS | 5)
    assert [gicd.pending_sgi_sources(5, cpu) for cpu in range(4)] == [2, 0, 2, 2]
    gicd.view(3).write(GICD_SGIR, 4, FILTER_SELF | 0xFF_0000 | 7)
    assert [gicd.pending_sgi_sources(7, cpu) for cpu in range(4)] == [0, 0, 0, 8]
    gicd.view(3).write(GICD_SGIR, 4, (3 << 24) | 8)  # reserved filter: nothing
    assert [gicd.is_pending(8, cpu) for cpu in range(4)] == [False] * 4


def test_sgi_pending_per_source_registers() -> None:
    """SPENDSGIR/CPENDSGIR show and edit per-source SGI pending bits; ISPENDR0 is read-only."""
    gicd = GicDistributor(64, num_cpus=2)
    gicd.view(0).write(GICD_SGIR, 4, (0b10 << 16) | 1)
    gicd.view(1).write(GICD_SGIR, 4, FILTER_SELF | 1)
    cpu1 = gicd.view(1)
    assert cpu1.read(GICD_SPENDSGIR, 4) == 0x0000_0300
    assert cpu1.read(GICD_ISPENDR, 4) == 0b10
    cpu1.write(GICD_CPENDSGIR + 1, 1, 0x01)
    assert cpu1.read(GICD_CPENDSGIR, 4) == 0x0000_0200
    cpu1.write(GICD_ICPENDR, 4, 0xFFFF)  # SGI bits are read-only in ICPENDR0
    assert gicd.pending_sgi_sources(1, cpu=1) == 0b10
    cpu1.write(GICD_ISPENDR, 4, 1 << 2)  # ... and in ISPENDR0
    assert not gicd.is_pending(2, cpu=1)
    cpu1.write(GICD_SPENDSGIR + 4, 4, 0x0000_00FF)  # SGI 4, absent CPU bits dropped
    assert gicd.pending_sgi_sources(4, cpu=1) == 0b11
    assert gicd.read(GICD_SPENDSGIR + 4, 4) == 0


def test_interrupts_beyond_num_irqs_are_raz_wi() -> None:
    """Registers of IDs beyond the implemented range read zero and ignore writes."""
    gicd = GicDistributor(64)
    gicd.write(GICD_ISENABLER + 8, 4, 0xFFFF_FFFF)
    assert gicd.read(GICD_ISENABLER + 8, 4) == 0
    gicd.write(GICD_IPRIORITYR + 64, 4, 0xFFFF_FFFF)
    assert gicd.read(GICD_IPRIORITYR + 64, 4) == 0
    assert gicd.read(0x0F04, 4) == 0  # a reserved offset


def test_listeners_hear_every_change() -> None:
    """Each state-changing access notifies the listeners (CPU interfaces) exactly once."""
    gicd = GicDistributor(64)
    calls: list[int] = []
    gicd.add_listener(lambda: calls.append(1))
    gicd.write(GICD_ISENABLER + SPI_WORD, 4, SPI_BIT)
    gicd.set_input(SPI, True)
    gicd.write(GICD_SGIR, 4, FILTER_SELF | 1)
    assert len(calls) == 3


def test_the_kept_highest_pending_interrupt_is_what_a_fresh_scan_finds() -> None:
    """Over a seeded mix of every kind of change (lines, latches, enables, priorities, targets,
    trigger modes, acknowledges, deactivations, SGIs, MMIO writes, the distributor switched
    off and on), with CPU interfaces asking after each change as the board's do, the highest
    pending interrupt kept between changes is the one a fresh scan of every state finds."""
    rng = random.Random(11)
    gicd = GicDistributor(64, num_cpus=2)
    interfaces = [GicCpuInterface(gicd, cpu) for cpu in (0, 1)]
    for gicc in interfaces:
        gicc.ctlr = GICC_CTLR_ENABLE_GRP0
        gicc.pmr = 0xFF
    irqs = [1, 5, 26, 27, 30, 33, 34, 40, 41]
    lines = [gicd.input_line(irq, cpu) for irq in irqs if irq >= 16 for cpu in (0, 1)]
    steps: list[Callable[[], object]] = [
        *[lambda: rng.choice(lines).set(rng.random() < 0.4)] * 8,
        *[lambda: gicd.deactivate(rng.choice(irqs), rng.randrange(2))] * 4,
        lambda: gicd.set_input(rng.choice(irqs[2:]), rng.random() < 0.5, rng.randrange(2)),
        lambda: gicd.set_enabled(rng.choice(irqs), rng.random() < 0.7, rng.randrange(2)),
        lambda: gicd.set_priority(rng.choice(irqs), rng.randrange(0, 0x100, 0x20)),
        lambda: gicd.set_targets(rng.choice(irqs[5:]), rng.randrange(4)),
        lambda: gicd.set_edge(rng.choice(irqs), rng.random() < 0.3),
        *[lambda: gicd.set_pending(rng.choice(irqs), rng.random() < 0.3, rng.randrange(2))] * 3,
        lambda: gicd.set_active(rng.choice(irqs), rng.random() < 0.5, rng.randrange(2)),
        lambda: gicd.deactivate(rng.choice([*irqs, 1023]), rng.randrange(2)),
        lambda: gicd.send_sgi(rng.choice([1, 5]), rng.randrange(4), rng.randrange(2)),
        lambda: rng.choice(interfaces).acknowledge(),
        lambda: gicd.view(rng.randrange(2)).write(
            rng.choice([GICD_ISENABLER, GICD_ICENABLER, GICD_ISPENDR, GICD_ICPENDR])
            + 4 * rng.randrange(2),
            4,
            rng.getrandbits(32),
        ),
        lambda: gicd.write(GICD_CTLR, 4, int(rng.random() < 0.9)),
    ]
    for step in range(4000):
        rng.choice(steps)()
        for cpu in (0, 1):
            assert gicd.highest_pending_interrupt(cpu) == gicd.scan_highest_pending(cpu), step
