"""The engine's own generic timer runs on virtual time: CNTVCT, TVAL and ISTATUS are exact."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import unicorn.unicorn_py3.unicorn as unicorn_binding
from elftools.elf.elffile import ELFFile
from elftools.elf.relocation import RelocationSection
from elftools.elf.sections import SymbolTableSection

from hv_support import vm_toml, write_system
from rthv.board import counter, engine_clock
from rthv.board.description import load_board
from rthv.board.engine_clock import EngineClockError, install_engine_clock
from rthv.board.machine import Machine
from rthv.board.registers import Reg
from rthv.tools.cli import main
from rthv.tools.cli_parser import EXIT_USAGE
from support import assemble, guest_image

RAM = 0x80000000
TICK_PER_INSTRUCTION_HZ = 62_500_000  # CPU clock = counter clock: one count per instruction
READS = """
    mov r0, #0
    ldr r1, =20000
1:  add r0, r0, #3
    subs r1, r1, #1
    bne 1b
    mrrc p15, 1, r4, r5, c14      @ CNTVCT after 2 + 3 * 20000 instructions
    add r0, r0, #1
    add r0, r0, #1
    mrrc p15, 1, r6, r7, c14      @ three instructions later
    mrc p15, 0, r8, c14, c3, 0    @ CNTV_TVAL (CVAL is 0)
    wfi
"""
VIRTUAL_TICK = """
    b main
    .space 0x14
    b irq                           @ IRQ vector
main:
    ldr r0, =0x80000000
    mcr p15, 0, r0, c12, c0, 0      @ VBAR
    ldr r0, =0x2c001000
    mov r1, #1
    str r1, [r0]                    @ GICD_CTLR
    mov r1, #(1 << 27)
    str r1, [r0, #0x100]            @ enable PPI 27
    ldr r0, =0x2c002000
    mov r1, #0xff
    str r1, [r0, #4]                @ GICC_PMR
    mov r1, #1
    str r1, [r0]                    @ GICC_CTLR
    ldr r1, =1000
    mcr p15, 0, r1, c14, c3, 0      @ CNTV_TVAL = 1000
    mov r1, #1
    mcr p15, 0, r1, c14, c3, 1      @ CNTV_CTL: enable
    mrrc p15, 3, r8, r9, c14        @ r8 = CVAL
    mrc p15, 0, r7, c14, c3, 1      @ r7 = CTL before the expiry
    cpsie i
1:  add r3, r3, #1
    b 1b
irq:
    mrrc p15, 1, r10, r11, c14      @ r10 = CNTVCT in the handler
    mrc p15, 0, r12, c14, c3, 1     @ r12 = CTL (ISTATUS)
    mov r1, #3
    mcr p15, 0, r1, c14, c3, 1      @ mask: the output falls
    b .
"""


def _machine(code: bytes, *, thumb: bool = False, hz: int = TICK_PER_INSTRUCTION_HZ) -> Machine:
    machine = Machine(load_board("vexpress-a15"), frequency_hz=hz)
    machine.memory.write(RAM, code)
    machine.reset(RAM | int(thumb))
    return machine


def test_the_engine_clock_is_installed_once() -> None:
    """The engine's clock import points at virtual time, and installing again changes nothing."""
    install_engine_clock()
    install_engine_clock()
    assert _machine(assemble(READS)).core.counter.keeps_time


@pytest.fixture
def no_clock_import(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if the engine library imported no ``clock_gettime`` through its PLT (another build)."""
    monkeypatch.setattr(engine_clock, "_SYMBOL", "clock_gettime_of_another_build")
    monkeypatch.setattr(engine_clock, "_installed", None)


@pytest.mark.usefixtures("no_clock_import")
def test_an_engine_clock_that_cannot_be_installed_is_refused_naming_the_cause() -> None:
    """No silent fall-back to host time: one line with the cause and what to do."""
    with pytest.raises(EngineClockError) as caught:
        install_engine_clock()
    message = str(caught.value)
    assert "\n" not in message
    assert "it does not import clock_gettime_of_another_build through its PLT" in message
    assert "libunicorn" in message and "host time" in message and "make setup" in message
    with pytest.raises(EngineClockError, match="does not import"):
        _machine(assemble(READS))  # a machine is refused before any guest instruction


@pytest.mark.usefixtures("no_clock_import")
def test_rthv_refuses_to_run_when_the_engine_clock_cannot_be_installed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``rthv run-bare``: exit 2, nothing run, one line naming the cause on stderr."""
    assert main(["run-bare", str(guest_image("hello"))]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith("rthv: error: the engine's clock cannot follow virtual time: ")
    assert "does not import clock_gettime_of_another_build" in line


def test_a_machine_without_the_native_counter_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the native counter serves the engine's clock: without it (no C compiler at
    install), the Python counter would leave guests reading host time, so no machine is made."""
    monkeypatch.setattr(counter, "_icount", None)
    monkeypatch.setattr(engine_clock, "_icount", None)
    monkeypatch.setattr(engine_clock, "_installed", None)
    with pytest.raises(EngineClockError, match=r"native counter \(rthv.board._icount\) was not"):
        Machine(load_board("vexpress-a15"))


def test_keep_time_refuses_what_the_engine_clock_cannot_hold() -> None:
    """The engine's clock divides by these 64-bit fields: 0, or 2**64 (which ctypes would wrap
    to 0), is refused, and the state keeps the values it had."""
    machine_counter = _machine(assemble(READS)).core.counter
    state = machine_counter.state
    kept = (state.cpu_hz, state.units_per_cycle, state.counter_hz)
    good = {"cpu_hz": 1_000_000_000, "units_per_cycle": 1, "counter_hz": 62_500_000}
    for name in good:
        for bad in (0, 1 << 64):
            with pytest.raises(ValueError, match=name):
                machine_counter.keep_time(**{**good, name: bad})
    assert (state.cpu_hz, state.units_per_cycle, state.counter_hz) == kept


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "rthv.tools.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_a_cpu_clock_beyond_64_bits_is_bad_input_not_a_crash(tmp_path: Path) -> None:
    """2**64 Hz used to pass as a frequency and reach the engine's clock as 0: the guest's first
    counter read killed rthv (SIGFPE) with no word. Now: exit 2, the option or field named."""
    bare = _cli("run-bare", str(guest_image("vtimer")), "--until", "1ms", "--cpu-hz", str(1 << 64))
    assert bare.returncode == EXIT_USAGE, bare.stderr
    assert "--cpu-hz" in bare.stderr
    system = write_system(tmp_path, vm_toml("a", "vtimer"), head=f"cpu_hz = {1 << 64}\n")
    run = _cli("run", str(system), "--until", "1ms")
    assert run.returncode == EXIT_USAGE, run.stderr
    assert "cpu_hz" in run.stderr


CLOCK_WITH_NO_FREQUENCY = """
import sys
from pathlib import Path
from rthv.board.description import load_board
from rthv.board.machine import Machine

machine = Machine(load_board("vexpress-a15"))
machine.memory.write(0x80000000, Path(sys.argv[1]).read_bytes())
machine.reset(0x80000000)
machine.core.counter.state.cpu_hz = 0  # as if keep_time had let it through
machine.run()
print("ran")
"""


def test_the_engine_clock_never_divides_by_zero(tmp_path: Path) -> None:
    """Should a zero frequency reach the native state anyway, a counter read does not divide by
    it (SIGFPE): the run goes on. In a child process, so a crash fails the test."""
    code = tmp_path / "reads.bin"
    code.write_bytes(assemble(READS))
    child = subprocess.run(
        [sys.executable, "-c", CLOCK_WITH_NO_FREQUENCY, str(code)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (child.returncode, child.stdout) == (0, "ran\n"), child.stderr


def _reference_slot(library: Path, symbol: str) -> tuple[int, list[tuple[int, int]]] | str:
    """The same facts read with pyelftools, as a check on the reader of engine_clock."""
    with library.open("rb") as stream:
        elf = ELFFile(stream)
        relro = [
            (s["p_vaddr"], s["p_vaddr"] + s["p_memsz"])
            for s in elf.iter_segments()
            if s["p_type"] == "PT_GNU_RELRO"
        ]
        plt = [
            (s["sh_addr"], s["sh_addr"] + s["sh_size"])
            for s in elf.iter_sections()
            if s.name.startswith(".plt")
        ]
        relocations = elf.get_section_by_name(".rela.plt")
        assert isinstance(relocations, RelocationSection)
        symbols = elf.get_section(relocations["sh_link"])
        assert isinstance(symbols, SymbolTableSection)
        for relocation in relocations.iter_relocations():
            if symbols.get_symbol(relocation["r_info_sym"]).name == symbol:
                offset = relocation["r_offset"]
                if any(start <= offset < end for start, end in relro):
                    return f"its {symbol} slot is read-only after relocation (full RELRO)"
                return offset, plt
    return f"it does not import {symbol} through its PLT"


@pytest.mark.parametrize("symbol", ["clock_gettime", "malloc", "free", "not_a_symbol"])
@pytest.mark.parametrize("library", ["engine", "make"])
def test_the_slot_reader_agrees_with_pyelftools(
    library: str, symbol: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The GOT slot, PLT ranges and refusals read from the ELF file are pyelftools' own."""
    found = unicorn_binding.uclib._name if library == "engine" else shutil.which("make")
    assert found is not None
    path = Path(found).resolve()
    monkeypatch.setattr(engine_clock, "_SYMBOL", symbol)
    assert engine_clock._slot_offset(path) == _reference_slot(path, symbol)


def test_the_slot_reader_refuses_a_file_that_is_no_elf(tmp_path: Path) -> None:
    """A library that is no 64-bit ELF file is named as such, not misread."""
    text = tmp_path / "libunicorn.so.2"
    text.write_text("not a library\n")
    assert engine_clock._slot_offset(text) == "not a 64-bit little-endian ELF file"


@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "thumb"])
def test_cntvct_reads_the_exact_instruction_count(thumb: bool) -> None:
    """At one count per cycle, CNTVCT is the number of instructions retired before the read."""
    machine = _machine(assemble(READS, thumb=thumb), thumb=thumb)
    machine.run()
    regs = machine.core.regs
    first = 2 + 3 * 20_000
    assert regs[Reg.R4] | regs[Reg.R5] << 32 == first
    assert regs[Reg.R6] | regs[Reg.R7] << 32 == first + 3
    assert regs[Reg.R8] == (-(first + 4)) & 0xFFFFFFFF  # TVAL = CVAL - count, signed
    assert machine.core.counter.state.clock_reads == 3


def test_engines_running_in_several_threads_each_read_their_own_time() -> None:
    """``run`` releases the GIL, so engines of machines run from several threads execute at
    once: each guest's CNTVCT is its own exact count (the engine's clock once followed whichever
    engine had started last, or host time once another had finished)."""
    code = assemble(READS)
    first = 2 + 3 * 20_000
    reads: list[tuple[int, int]] = []

    def run_machines() -> None:
        for _ in range(15):
            machine = _machine(code)
            machine.run()
            regs = machine.core.regs
            reads.append((regs[Reg.R4] | regs[Reg.R5] << 32, regs[Reg.R6] | regs[Reg.R7] << 32))

    threads = [threading.Thread(target=run_machines) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert reads == [(first, first + 3)] * 60


def test_cntvct_scales_to_62_5_mhz_at_1_ghz() -> None:
    """At 1 GHz a count lasts 16 instructions: CNTVCT = floor(retired / 16)."""
    machine = _machine(assemble(READS), hz=1_000_000_000)
    machine.run()
    regs = machine.core.regs
    assert regs[Reg.R4] == (2 + 3 * 20_000) // 16
    assert regs[Reg.R6] == (2 + 3 * 20_000 + 3) // 16


def _tick_run(max_slice: int | None) -> tuple[int, int, int, int, int, list[tuple[int, int, int]]]:
    machine = _machine(assemble(VIRTUAL_TICK))
    machine.run(5_000, max_slice=max_slice)
    regs = machine.core.regs
    irqs = [(i.cycle, i.instructions, i.pc) for i in machine.interrupts]
    return (regs[Reg.R8], regs[Reg.R7], regs[Reg.R10], regs[Reg.R12], regs[Reg.R3], irqs)


def test_the_virtual_timer_interrupt_arrives_exactly_at_cval() -> None:
    """PPI 27 is taken when the count reaches CVAL; the handler sees ISTATUS set."""
    cval, ctl_before, count_in_handler, ctl_in_handler, _spins, irqs = _tick_run(None)
    written_at = 14  # instructions retired before the TVAL write
    assert cval == written_at + 1000
    assert ctl_before == 1  # enabled, not yet expired
    assert irqs == [(cval, cval, irqs[0][2])]  # taken at exactly CVAL
    assert count_in_handler == cval + 1  # one branch at the vector, then the read
    assert ctl_in_handler == 0b101  # ENABLE | ISTATUS


def test_virtual_timer_runs_are_identical_whatever_the_slice_size() -> None:
    """Two runs, and three slice sizes, give the same values and interrupt trace."""
    runs = [_tick_run(max_slice) for max_slice in (None, None, 7, 100)]
    assert runs[0] == runs[1] == runs[2] == runs[3]


THUMB_WRITES = """
    movs r0, #100
    movs r1, #0
    mcrr p15, 3, r0, r1, c14        @ CNTV_CVAL = 100
    movs r2, #1
    mcr p15, 0, r2, c14, c3, 1      @ CNTV_CTL: enable
    mrc p15, 0, r3, c14, c3, 1      @ read back: enabled, not expired
    wfi
"""


def test_t32_timer_writes_reach_the_model_and_istatus_comes_back() -> None:
    """CVAL and CTL written by T32 code are carried out; the line rises at CVAL while the CPU
    sleeps, and the engine then shows ISTATUS."""
    from rthv.board.registers import CNTV_CTL

    machine = _machine(assemble(THUMB_WRITES, thumb=True), thumb=True)
    machine.run(50)
    assert machine.core.regs[Reg.R3] == 1
    assert not machine.generic_timer.virt_irq.level
    machine.run(101)  # events due at 100 run in the run after 100
    assert machine.generic_timer.virt_irq.level
    assert machine.core.regs.sys(CNTV_CTL) == 0b101
