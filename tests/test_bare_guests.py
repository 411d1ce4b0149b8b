"""Real guest images running bare-metal on the emulated vexpress-a15 board."""

from __future__ import annotations

import re

import pytest

from rthv.board.run_result import StopCause
from rthv.board.sp804 import Sp804Timer
from support import GUEST_BUILD, ReferenceCounter, boot, guest_image

EXPECTED_QEMU = GUEST_BUILD.parent / "expected" / "qemu"

SP804_CONTROL = 0x08
SP804_ENABLE = 1 << 7
TIMER_LOAD = 999  # the timer guest's TimerLoad: 1 ms periods of a 1 MHz TIMCLK
CYCLES_PER_TICK = 1000  # 1 GHz CPU, 1 MHz TIMCLK


def test_hello_prints_over_pl011() -> None:
    """The hello guest prints its greeting on UART0 and then idles."""
    booted = boot(guest_image("hello"))
    result = booted.machine.run()
    assert booted.output() == "Hello from rthv guest\nhello done\n"
    assert result.cause is StopCause.IDLE


@pytest.mark.interpreted
def test_timer_interrupts_arrive_at_the_cycles_the_reload_implies() -> None:
    """Tick k is raised exactly (TimerLoad + (k-1)(TimerLoad+1)) timer ticks after enable."""
    booted = boot(guest_image("timer"))
    machine = booted.machine
    timer = machine.devices["timer01"]
    assert isinstance(timer, Sp804Timer)
    enabled_at: list[int] = []
    raised_at: list[int] = []
    original_write = timer.write

    def spy(offset: int, size: int, value: int) -> None:
        if offset == SP804_CONTROL and value & SP804_ENABLE and not enabled_at:
            enabled_at.append(machine.clock.now())
        original_write(offset, size, value)

    timer.write = spy  # type: ignore[method-assign]
    timer.combined_irq.connect(
        lambda level: raised_at.append(machine.clock.now()) if level else None
    )
    reference = ReferenceCounter(machine)
    reference_at_irq: list[int] = []
    machine.interrupt_observers.append(lambda _irq: reference_at_irq.append(reference.count))
    machine.run()

    ticks = [int(n) for n in re.findall(r"tick (\d+)", booted.output())]
    assert ticks == list(range(1, 11))
    assert booted.output().endswith("timer done\n")
    start = enabled_at[0]
    expected = [start + (TIMER_LOAD + k * (TIMER_LOAD + 1)) * CYCLES_PER_TICK for k in range(10)]
    assert raised_at == expected
    assert machine.clock.to_ns(expected[1] - expected[0]) == 1_000_000  # exactly 1 ms apart
    # The CPU sleeps in WFI with IRQs masked, wakes at the exact cycle, unmasks and takes the
    # IRQ: the same few instructions later every time, at the instruction counts a
    # per-instruction reference counter sees.
    delays = {irq.cycle - raised for irq, raised in zip(machine.interrupts, raised_at, strict=True)}
    assert len(delays) == 1 and 0 <= delays.pop() < 10
    assert [irq.instructions for irq in machine.interrupts] == reference_at_irq


def _fields(line: str) -> dict[str, str]:
    return dict(re.findall(r"(\w+)=(\S+)", line))


def test_exception_guest_sees_architectural_lr_spsr_mode_and_fault_registers() -> None:
    """SVC, UNDEF, data and prefetch aborts enter the right mode with exact LR/SPSR/FSR/FAR."""
    image = guest_image("exceptions")
    booted = boot(image)
    booted.machine.run()
    lines = {line.split()[0]: _fields(line) for line in booted.output().splitlines() if "=" in line}
    symbols = _symbols(image)
    svc, und, dabt, pabt = lines["SVC"], lines["UND"], lines["DABT"], lines["PABT"]
    assert int(svc["lr"], 16) == symbols["exc_svc_site"] + 4
    assert int(svc["mode"], 16) == 0x13 and int(svc["imm"], 16) == 0x42
    assert int(und["lr"], 16) == symbols["exc_und_site"] + 4
    assert int(und["mode"], 16) == 0x1B
    assert int(dabt["lr"], 16) == symbols["exc_dabt_site"] + 8
    assert int(dabt["mode"], 16) == 0x17
    assert int(dabt["dfsr"], 16) == 0x8  # synchronous external abort, read (WnR = 0)
    assert int(dabt["dfar"], 16) == 0x30000000
    assert int(pabt["mode"], 16) == 0x17
    assert int(pabt["ifsr"], 16) == 0x8 and int(pabt["ifar"], 16) == 0x30000000
    assert int(pabt["lr"], 16) == 0x30000000 + 4
    for fields in lines.values():
        assert int(fields["spsr"], 16) & 0x1F == 0x13  # all raised from SVC mode
        assert fields["check"] == "ok"
    assert booted.output().endswith("exceptions done\n")


@pytest.mark.parametrize("board", ["vexpress-a15", "virt"])
def test_mmu_guest_sees_the_fault_status_and_address_of_each_stage1_fault(board: str) -> None:
    """Every translation, access flag, domain and permission fault, short and long descriptors,
    enters the guest with the DFSR/IFSR and DFAR/IFAR that QEMU gives (recorded beside it)."""
    booted = boot(guest_image("mmu-faults", board), board)
    booted.machine.run()
    output = booted.output()
    assert output == (EXPECTED_QEMU / board / "mmu-faults.txt").read_text()
    window = 0x90000000 if board == "vexpress-a15" else 0x50000000
    assert f"section translation, store: DFSR=0x00000805 DFAR={window + 0x4560:#010x}" in output
    assert f"page translation, fetch: IFSR=0x00000007 IFAR={window + 0x100100:#010x}" in output
    assert "section domain, load: DFSR=0x00000019" in output  # domain 1, section
    assert "page domain, store: DFSR=0x0000081b" in output
    assert "level 2 permission, store: DFSR=0x00000a0e" in output  # LPAE bit 9, WnR
    assert output.count("no fault") == 2 and output.endswith("mmu-faults done\n")


@pytest.mark.parametrize("board", ["vexpress-a15", "virt"])
def test_virtual_timer_guest_ticks_exactly_at_cval_and_reads_cntvct_from_user_mode(
    board: str,
) -> None:
    """Each of five virtual timer ticks is handled 1 count after its CVAL (the same every
    time), with ISTATUS set; PL0 reads CNTVCT when CNTKCTL allows; the CPU idles in between."""
    booted = boot(guest_image("vtimer", board), board)
    result = booted.machine.run()
    expected = "".join(f"tick {k} late=1 ctl=0x5\n" for k in range(1, 6))
    assert booted.output() == expected + "user cntvct ok\nvtimer done\n"
    assert result.idle_cycles > 0.99 * 5 * 1_000_000  # five 1 ms periods, asleep in WFI
    assert len(booted.machine.interrupts) == 5


@pytest.mark.parametrize("board", ["vexpress-a15", "virt"])
def test_vfp_guest_turns_the_fpu_on_and_its_registers_hold(board: str) -> None:
    """CPACR and FPEXC.EN are all a guest needs for VFP/NEON; D0-D31 and FPSCR keep their
    values (the same output as on QEMU)."""
    booted = boot(guest_image("vfp", board), board)
    booted.machine.run()
    assert booted.output() == (EXPECTED_QEMU / board / "vfp.txt").read_text()
    assert "20 rounds, 0 mismatches" in booted.output()


def _symbols(image: object) -> dict[str, int]:
    from elftools.elf.elffile import ELFFile
    from elftools.elf.sections import SymbolTableSection

    with open(str(image), "rb") as stream:
        elf = ELFFile(stream)
        table = elf.get_section_by_name(".symtab")
        assert isinstance(table, SymbolTableSection)
        return {sym.name: int(sym["st_value"]) for sym in table.iter_symbols() if sym.name}
