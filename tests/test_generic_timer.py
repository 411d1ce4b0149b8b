"""ARMv7 generic timer: counter scaling, TVAL/CVAL semantics and exact expiry cycles."""

from __future__ import annotations

import pytest

from rthv.board.generic_timer import (
    COPROCESSOR_MAP,
    CTL_ENABLE,
    CTL_IMASK,
    CTL_ISTATUS,
    GenericTimer,
    GenericTimerRegister,
)
from support import TimeBench

R = GenericTimerRegister
TICK = 16  # cycles per counter tick at 1 GHz CPU / 62.5 MHz counter


class Cpu(TimeBench):
    """A real clock and event queue around one CPU's generic timer."""

    def __init__(self, frequency_hz: int = 62_500_000) -> None:
        super().__init__()
        self.timer = GenericTimer(self.clock, self.events, frequency_hz)


@pytest.fixture
def cpu() -> Cpu:
    return Cpu()


def test_counter_scales_62_5_mhz_against_1_ghz(cpu: Cpu) -> None:
    """CNTPCT advances one tick every 16 CPU cycles and CNTFRQ reports 62.5 MHz."""
    assert cpu.timer.read_register(R.CNTFRQ) == 62_500_000
    assert cpu.timer.counter() == 0
    cpu.run_to(1000 * TICK + 15)
    assert cpu.timer.read_register("CNTPCT") == 1000
    cpu.run_to(1001 * TICK)
    assert cpu.timer.read_register(R.CNTPCT) == 1001
    assert cpu.timer.read_register(R.CNTVCT) == 1001


def test_non_integer_ratio_expiry_rounds_up_to_whole_cycle() -> None:
    """At 24 MHz a tick is 41.67 cycles; CVAL=1 expires at cycle 42, CVAL=3 at 125."""
    cpu = Cpu(24_000_000)
    log = cpu.record(cpu.timer.phys_irq)
    cpu.timer.write_register(R.CNTP_CVAL, 1)
    cpu.timer.write_register(R.CNTP_CTL, CTL_ENABLE)
    cpu.run_to(41)
    assert cpu.timer.counter() == 0 and log == []
    cpu.run_to(42)
    assert cpu.timer.counter() == 1 and log == [(42, True)]
    cpu.timer.write_register(R.CNTP_CVAL, 3)
    cpu.run_to(200)
    assert log == [(42, True), (42, False), (125, True)]


def test_tval_is_signed_view_of_cval_minus_counter(cpu: Cpu) -> None:
    """TVAL writes set CVAL relative to now; reads go negative once the deadline passes."""
    cpu.run_to(1000 * TICK)
    cpu.timer.write_register(R.CNTP_TVAL, 500)
    assert cpu.timer.read_register(R.CNTP_CVAL) == 1500
    assert cpu.timer.read_register(R.CNTP_TVAL) == 500
    cpu.run_to(1600 * TICK)
    assert cpu.timer.tval() == -100
    assert cpu.timer.read_register(R.CNTP_TVAL) == (1 << 32) - 100
    cpu.timer.write_register(R.CNTP_TVAL, 0xFFFF_FF38)  # -200 as an MCR would pass it
    assert cpu.timer.read_register(R.CNTP_CVAL) == 1400
    cpu.timer.write_register(R.CNTP_TVAL, -50)
    assert cpu.timer.read_register(R.CNTP_CVAL) == 1550


def test_istatus_and_irq_rise_at_the_exact_cycle(cpu: Cpu) -> None:
    """Enabled with CVAL=1500, ISTATUS and the IRQ appear at cycle 1500*16, not before."""
    log = cpu.record(cpu.timer.phys_irq)
    cpu.timer.write_register(R.CNTP_CVAL, 1500)
    cpu.timer.write_register(R.CNTP_CTL, CTL_ENABLE)
    assert cpu.events.peek() == 24_000
    cpu.run_to(23_999)
    assert cpu.timer.read_register(R.CNTP_CTL) == CTL_ENABLE
    cpu.run_to(24_000)
    assert cpu.timer.read_register(R.CNTP_CTL) == CTL_ENABLE | CTL_ISTATUS
    assert log == [(24_000, True)]
    assert len(cpu.events) == 0
    cpu.timer.write_register(R.CNTP_CTL, 0)
    assert log == [(24_000, True), (24_000, False)]
    assert cpu.timer.read_register(R.CNTP_CTL) == 0  # ISTATUS reads 0 while disabled


def test_imask_hides_the_line_but_not_istatus(cpu: Cpu) -> None:
    """With IMASK the condition shows in ISTATUS only; unmasking raises the line at once."""
    log = cpu.record(cpu.timer.phys_irq)
    cpu.timer.write_register(R.CNTP_CVAL, 100)
    cpu.timer.write_register(R.CNTP_CTL, CTL_ENABLE | CTL_IMASK)
    cpu.run_to(200 * TICK)
    ctl = cpu.timer.read_register(R.CNTP_CTL)
    assert ctl == CTL_ENABLE | CTL_IMASK | CTL_ISTATUS and log == []
    cpu.timer.write_register(R.CNTP_CTL, CTL_ENABLE | CTL_ISTATUS)  # ISTATUS is read-only
    assert log == [(200 * TICK, True)]


def test_cval_rewrite_reschedules(cpu: Cpu) -> None:
    """Moving CVAL later cancels the old expiry; moving it into the past fires at once."""
    log = cpu.record(cpu.timer.phys_irq)
    cpu.timer.write_register(R.CNTP_CVAL, 1500)
    cpu.timer.write_register(R.CNTP_CTL, CTL_ENABLE)
    cpu.run_to(1000 * TICK)
    cpu.timer.write_register(R.CNTP_CVAL, 3000)
    assert len(cpu.events) == 1 and cpu.events.peek() == 3000 * TICK
    cpu.run_to(2000 * TICK)
    assert log == []
    cpu.timer.write_register(R.CNTP_CVAL, 1999)
    assert log == [(2000 * TICK, True)] and len(cpu.events) == 0
    cpu.timer.write_register(R.CNTP_CVAL, 2500)
    assert log == [(2000 * TICK, True), (2000 * TICK, False)]
    cpu.run_to(4000 * TICK)
    assert log[-1] == (2500 * TICK, True)


def test_virtual_timer_follows_cntvoff(cpu: Cpu) -> None:
    """CNTVCT = CNTPCT - CNTVOFF; the virtual timer fires when CNTVCT reaches its CVAL."""
    log = cpu.record(cpu.timer.virt_irq)
    phys_log = cpu.record(cpu.timer.phys_irq)
    cpu.timer.write_register(R.CNTVOFF, 1000)
    cpu.run_to(1200 * TICK)
    assert cpu.timer.read_register(R.CNTVCT) == 200
    assert cpu.timer.read_register(R.CNTVOFF) == 1000
    cpu.timer.write_register(R.CNTV_TVAL, 300)
    assert cpu.timer.read_register(R.CNTV_CVAL) == 500
    cpu.timer.write_register(R.CNTV_CTL, CTL_ENABLE)
    assert cpu.events.peek() == 1500 * TICK
    cpu.timer.write_register(R.CNTVOFF, 1100)  # virtual time steps back: expiry moves later
    assert cpu.events.peek() == 1600 * TICK
    cpu.run_to(2000 * TICK)
    assert log == [(1600 * TICK, True)]
    assert cpu.timer.read_register(R.CNTV_CTL) == CTL_ENABLE | CTL_ISTATUS
    assert cpu.timer.tval(virtual=True) == -400
    assert phys_log == []


def test_disabled_timer_schedules_nothing(cpu: Cpu) -> None:
    """A disabled comparator never queues an event nor drives its line."""
    cpu.timer.write_register(R.CNTP_CVAL, 10)
    cpu.timer.write_register(R.CNTV_CVAL, 10)
    assert len(cpu.events) == 0
    cpu.run_to(100 * TICK)
    assert not cpu.timer.phys_irq.level and not cpu.timer.virt_irq.level


def test_mid_slice_read_sees_an_undispatched_expiry(cpu: Cpu) -> None:
    """Inside a running slice past the deadline, CTL already reports ISTATUS and the line."""
    cpu.timer.write_register(R.CNTP_CVAL, 10)
    cpu.timer.write_register(R.CNTP_CTL, CTL_ENABLE)
    cpu.clock.start_slice(lambda: 10 * TICK + 1)
    assert cpu.timer.read_register(R.CNTP_CTL) == CTL_ENABLE | CTL_ISTATUS
    assert cpu.timer.phys_irq.level
    cpu.clock.end_slice(0)
    assert len(cpu.events) == 0


def test_counters_are_read_only_and_names_are_checked(cpu: Cpu) -> None:
    """Writes to CNTPCT/CNTVCT are ignored; CNTFRQ is storage only; bad names raise."""
    cpu.run_to(50 * TICK)
    cpu.timer.write_register(R.CNTPCT, 0)
    cpu.timer.write_register(R.CNTVCT, 0)
    cpu.timer.write_register(R.CNTFRQ, 24_000_000)
    assert cpu.timer.read_register(R.CNTPCT) == 50
    assert cpu.timer.read_register(R.CNTFRQ) == 24_000_000
    with pytest.raises(ValueError):
        cpu.timer.read_register("CNTKCTL")


def test_coprocessor_encodings() -> None:
    """Each CP15 c14 encoding maps to the register the ARMv7 ARM assigns it."""
    expected = {
        (15, 0, 14, 0, 0, False): R.CNTFRQ,
        (15, 0, 14, 2, 0, False): R.CNTP_TVAL,
        (15, 0, 14, 2, 1, False): R.CNTP_CTL,
        (15, 0, 14, 3, 0, False): R.CNTV_TVAL,
        (15, 0, 14, 3, 1, False): R.CNTV_CTL,
        (15, 0, 0, 14, 0, True): R.CNTPCT,
        (15, 1, 0, 14, 0, True): R.CNTVCT,
        (15, 2, 0, 14, 0, True): R.CNTP_CVAL,
        (15, 3, 0, 14, 0, True): R.CNTV_CVAL,
        (15, 4, 0, 14, 0, True): R.CNTVOFF,
    }
    assert expected == COPROCESSOR_MAP
    assert GenericTimer.coprocessor_map is COPROCESSOR_MAP
    assert GenericTimer.lookup(15, 0, 14, 3, 1, False) is R.CNTV_CTL
    assert GenericTimer.lookup(15, 0, 14, 1, 0, False) is None  # CNTKCTL: not modelled


def test_mirror_virtual_takes_ctl_and_cval_and_reports_istatus(cpu: Cpu) -> None:
    """A CPU running the virtual timer natively hands over CTL and CVAL; the model raises the
    line at CVAL and tells the CPU the CTL (with ISTATUS) it must show from then on."""
    shown: list[int] = []
    cpu.timer.on_virtual_update(shown.append)
    cpu.timer.mirror_virtual(CTL_ENABLE | CTL_ISTATUS, 100)  # ISTATUS is not writable
    assert shown == [CTL_ENABLE] and not cpu.timer.virt_irq.level
    cpu.run_to(TICK * 100 - 1)
    assert not cpu.timer.virt_irq.level
    cpu.run_to(TICK * 100)
    assert cpu.timer.virt_irq.level and shown[-1] == CTL_ENABLE | CTL_ISTATUS
    cpu.timer.mirror_virtual(CTL_ENABLE | CTL_IMASK, 100)
    assert not cpu.timer.virt_irq.level and shown[-1] == CTL_ENABLE | CTL_IMASK | CTL_ISTATUS


def test_virtual_enabled_follows_cntv_ctl_enable(cpu: Cpu) -> None:
    """``virtual_enabled`` is CNTV_CTL.ENABLE: IMASK alone or the physical timer do not count."""
    timer = cpu.timer
    timer.write_register(GenericTimerRegister.CNTP_CTL, CTL_ENABLE)
    timer.write_register(GenericTimerRegister.CNTV_CTL, CTL_IMASK)
    assert not timer.virtual_enabled()
    timer.write_register(GenericTimerRegister.CNTV_CTL, CTL_ENABLE | CTL_IMASK)
    assert timer.virtual_enabled()
