"""GICv2 CPU interface: acknowledge/EOI, masking, preemption, SGIs and the IRQ output."""

from __future__ import annotations

from rthv.board.gic import GicCpuInterface, GicDistributor
from rthv.board.gic.regs import (
    GICC_APR0,
    GICC_BPR,
    GICC_CTLR,
    GICC_DIR,
    GICC_EOIR,
    GICC_HPPIR,
    GICC_IAR,
    GICC_IIDR,
    GICC_PMR,
    GICC_RPR,
    GICD_CTLR,
    GICD_ICENABLER,
    GICD_IPRIORITYR,
    GICD_SGIR,
)

SPURIOUS = 1023
ENABLE = 1
EOIMODE = 1 << 9
FILTER_SELF = 2 << 24


def make_gic(num_cpus: int = 1) -> tuple[GicDistributor, list[GicCpuInterface]]:
    """A distributor and enabled CPU interfaces with an open priority mask."""
    gicd = GicDistributor(96, num_cpus=num_cpus)
    gicd.write(GICD_CTLR, 4, ENABLE)
    cpus = [GicCpuInterface(gicd, cpu) for cpu in range(num_cpus)]
    for gicc in cpus:
        gicc.write(GICC_CTLR, 4, ENABLE)
        gicc.write(GICC_PMR, 4, 0xF0)
    return gicd, cpus


def route(gicd: GicDistributor, irq: int, priority: int, targets: int = 1) -> None:
    """Enable ``irq`` with ``priority`` towards ``targets``."""
    gicd.set_priority(irq, priority)
    gicd.set_targets(irq, targets)
    gicd.set_enabled(irq, True)


def test_iar_eoir_round_trip() -> None:
    """A level SPI is signalled, acknowledged, and deactivated by EOIR once the line drops."""
    gicd, (gicc,) = make_gic()
    route(gicd, 40, 0xA0)
    line = gicd.input_line(40)
    assert not gicc.irq_out.level
    line.set(True)
    assert gicc.irq_out.level
    assert gicc.read(GICC_HPPIR, 4) == 40
    assert gicc.read(GICC_IAR, 4) == 40
    assert gicd.is_active(40)
    assert not gicc.irq_out.level  # active and (line still high) pending: not re-signalled
    assert gicc.read(GICC_RPR, 4) == 0xA0
    line.set(False)
    gicc.write(GICC_EOIR, 4, 40)
    assert not gicd.is_active(40)
    assert gicc.read(GICC_RPR, 4) == 0xFF
    assert not gicc.irq_out.level
    assert gicc.read(GICC_IAR, 4) == SPURIOUS


def test_level_line_still_high_fires_again_after_eoi() -> None:
    """If the device keeps its line high, the interrupt is signalled again after EOI."""
    gicd, (gicc,) = make_gic()
    route(gicd, 40, 0xA0)
    gicd.set_input(40, True)
    assert gicc.read(GICC_IAR, 4) == 40
    assert gicd.is_pending(40) and gicd.is_active(40)
    gicc.write(GICC_EOIR, 4, 40)
    assert gicc.irq_out.level
    assert gicc.read(GICC_IAR, 4) == 40


def test_spurious_when_nothing_or_disabled() -> None:
    """IAR reads 1023 when nothing is pending or the CPU interface is disabled."""
    gicd, (gicc,) = make_gic()
    assert gicc.read(GICC_IAR, 4) == SPURIOUS
    route(gicd, 50, 0x10)
    gicd.set_pending(50, True)
    gicc.write(GICC_CTLR, 4, 0)
    assert not gicc.irq_out.level
    assert gicc.read(GICC_IAR, 4) == SPURIOUS
    assert gicd.is_pending(50) and not gicd.is_active(50)
    assert gicc.read(GICC_HPPIR, 4) == SPURIOUS
    gicc.write(GICC_CTLR, 4, ENABLE)
    assert gicc.irq_out.level


def test_pmr_masks_equal_and_lower_priorities() -> None:
    """Only priorities strictly higher (lower value) than PMR are signalled."""
    gicd, (gicc,) = make_gic()
    route(gicd, 40, 0xA0)
    gicd.set_pending(40, True)
    gicc.write(GICC_PMR, 4, 0xA0)
    assert not gicc.irq_out.level
    assert gicc.read(GICC_IAR, 4) == SPURIOUS
    assert gicc.read(GICC_HPPIR, 4) == 40  # HPPIR ignores the mask
    gicc.write(GICC_PMR, 4, 0xAF)
    assert gicc.read(GICC_PMR, 4) == 0xA8
    assert gicc.irq_out.level
    gicc.write(GICC_PMR, 4, 0xFF)
    assert gicc.read(GICC_PMR, 4) == 0xF8


def test_preemption_nests_by_running_priority() -> None:
    """Only a higher group priority preempts; EOIs unwind the running priority in order."""
    gicd, (gicc,) = make_gic()
    for irq, prio in ((40, 0xA0), (41, 0xA0), (42, 0x80)):
        route(gicd, irq, prio)
    gicd.set_pending(40, True)
    assert gicc.read(GICC_IAR, 4) == 40
    gicd.set_pending(41, True)
    assert not gicc.irq_out.level  # same priority cannot preempt
    gicd.set_pending(42, True)
    assert gicc.irq_out.level
    assert gicc.read(GICC_IAR, 4) == 42
    assert gicc.read(GICC_RPR, 4) == 0x80
    assert gicc.read(GICC_APR0, 4) == (1 << 20) | (1 << 16)
    assert not gicc.irq_out.level
    gicc.write(GICC_EOIR, 4, 42)
    assert gicc.read(GICC_RPR, 4) == 0xA0
    assert not gicc.irq_out.level
    gicc.write(GICC_EOIR, 4, 40)
    assert gicc.read(GICC_RPR, 4) == 0xFF
    assert gicc.irq_out.level
    assert gicc.read(GICC_IAR, 4) == 41


def test_binary_point_groups_priorities() -> None:
    """With BPR=5 only bits [7:6] preempt, so 0x88 cannot interrupt 0x90; BPR floors at 2."""
    gicd, (gicc,) = make_gic()
    gicc.write(GICC_BPR, 4, 0)
    assert gicc.read(GICC_BPR, 4) == 2
    gicc.write(GICC_BPR, 4, 5)
    route(gicd, 40, 0x90)
    route(gicd, 41, 0x88)
    gicd.set_pending(40, True)
    assert gicc.read(GICC_IAR, 4) == 40
    assert gicc.read(GICC_RPR, 4) == 0x80
    gicd.set_pending(41, True)
    assert not gicc.irq_out.level
    gicc.write(GICC_EOIR, 4, 40)
    gicc.write(GICC_BPR, 4, 2)
    gicd.set_pending(40, True)
    gicd.set_pending(41, False)
    assert gicc.read(GICC_IAR, 4) == 40
    gicd.set_pending(41, True)
    assert gicc.irq_out.level
    assert gicc.read(GICC_IAR, 4) == 41


def test_irq_out_tracks_every_relevant_change() -> None:
    """irq_out follows enables, priority, PMR, and both CTLRs."""
    gicd, (gicc,) = make_gic()
    route(gicd, 40, 0xA0)
    gicd.set_pending(40, True)
    assert gicc.irq_out.level
    gicd.write(GICD_ICENABLER + 4, 4, 1 << 8)
    assert not gicc.irq_out.level
    gicd.set_enabled(40, True)
    assert gicc.irq_out.level
    gicd.write(GICD_IPRIORITYR + 40, 1, 0xF0)
    assert not gicc.irq_out.level
    gicc.write(GICC_PMR, 4, 0xF8)
    assert gicc.irq_out.level
    gicd.write(GICD_CTLR, 4, 0)
    assert not gicc.irq_out.level
    gicd.write(GICD_CTLR, 4, ENABLE)
    assert gicc.irq_out.level
    gicc.write(GICC_CTLR, 4, 0)
    assert not gicc.irq_out.level


def test_sgi_reports_source_cpu_per_source() -> None:
    """An SGI from two sources is acknowledged once per source, CPUID in IAR[12:10]."""
    gicd, cpus = make_gic(num_cpus=2)
    gicd.set_priority(5, 0x40, cpu=0)
    gicd.set_enabled(5, True, cpu=0)
    gicd.view(1).write(GICD_SGIR, 4, (1 << 16) | 5)
    gicd.view(0).write(GICD_SGIR, 4, FILTER_SELF | 5)
    assert not cpus[1].irq_out.level
    assert cpus[0].read(GICC_IAR, 4) == 5  # source 0 first
    assert not cpus[0].irq_out.level  # SGI 5 is active on CPU 0
    cpus[0].write(GICC_EOIR, 4, 5)
    assert cpus[0].read(GICC_IAR, 4) == (1 << 10) | 5
    cpus[0].write(GICC_EOIR, 4, (1 << 10) | 5)
    assert not gicd.is_active(5, cpu=0)
    assert cpus[0].read(GICC_IAR, 4) == SPURIOUS


def test_spi_goes_only_to_its_target() -> None:
    """An SPI targeted at CPU 1 raises CPU 1's output and nobody else's."""
    gicd, cpus = make_gic(num_cpus=2)
    route(gicd, 60, 0x20, targets=0b10)
    gicd.set_input(60, True)
    assert [gicc.irq_out.level for gicc in cpus] == [False, True]
    assert cpus[0].read(GICC_IAR, 4) == SPURIOUS
    assert cpus[1].read(GICC_IAR, 4) == 60


def test_eoimode_split_needs_dir() -> None:
    """With CTLR.EOImode, EOIR only drops the priority and DIR deactivates."""
    gicd, (gicc,) = make_gic()
    gicc.write(GICC_CTLR, 4, ENABLE | EOIMODE)
    assert gicc.read(GICC_CTLR, 4) == ENABLE | EOIMODE
    route(gicd, 40, 0xA0)
    route(gicd, 41, 0xC0)
    gicd.set_pending(40, True)
    assert gicc.read(GICC_IAR, 4) == 40
    gicc.write(GICC_EOIR, 4, 40)
    assert gicc.read(GICC_RPR, 4) == 0xFF
    assert gicd.is_active(40)
    gicd.set_pending(41, True)
    assert gicc.irq_out.level  # priority dropped: lower priorities get through
    gicc.write(GICC_DIR, 4, 40)
    assert not gicd.is_active(40)


def test_iidr_and_reset_values() -> None:
    """GICC_IIDR identifies a GICv2; PMR resets to 0 and BPR to its minimum."""
    gicd = GicDistributor(64)
    gicc = GicCpuInterface(gicd)
    assert gicc.read(GICC_IIDR, 4) == 0x0202043B
    assert gicc.read(GICC_PMR, 4) == 0
    assert gicc.read(GICC_BPR, 4) == 2
    assert gicc.read(GICC_RPR, 4) == 0xFF
    assert gicc.read(GICC_APR0, 4) == 0


def test_acknowledge_and_drop_ends_as_acknowledge_then_end_of_interrupt() -> None:
    """With EOImode split, IAR+EOIR at once: the same ID, distributor state, active stack and
    output as the two operations (a second, less urgent interrupt is signalled after both);
    without the split it is the two operations, the interrupt deactivated."""
    results: list[object] = []
    for split in (True, True, False):
        gicd = GicDistributor(64)
        gicc = GicCpuInterface(gicd)
        gicd.enabled = True
        gicc.ctlr = ENABLE | (EOIMODE if split else 0)
        gicc.pmr = 0xF8
        for irq, priority in ((40, 0x40), (41, 0x80)):
            gicd.set_enabled(irq, True)
            gicd.set_priority(irq, priority)
            gicd.set_targets(irq, 1)
            gicd.set_pending(irq, True)
        if len(results) == 1:  # the general way
            value = gicc.acknowledge()
            gicc.end_of_interrupt(value)
        else:
            value = gicc.acknowledge_and_drop()
        state = [(gicd.is_pending(i), gicd.is_active(i)) for i in (40, 41)]
        results.append((value, state, gicc.active_stack, gicc.irq_out.level))
    assert results[0] == results[1] == (40, [(False, True), (True, False)], (), True)
    assert results[2] == (40, [(False, False), (True, False)], (), True)
