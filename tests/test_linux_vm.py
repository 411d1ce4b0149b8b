"""Debian's unmodified Linux in a VM beside the RTOS (examples/linux-rtos.toml).

Each scenario boots the real kernel once (module-scoped fixtures): the shell answers commands
typed into its UART, its clocks follow virtual time, PSCI powers it off and resets it, a second
run from scratch is identical, a stray access from the shell is contained under each fault
policy (stopped, injected into Linux, or answered by a restart), and fixed priority decides
whether the RTOS keeps its deadlines.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import pytest

import rthv
from rthv.tools.console_input import feed_inputs

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "linux-rtos.toml"
PROMPT = re.compile(r"linux:/# ")
BOOTING = re.compile(r"Booting Linux on physical CPU")
BOOT_WITHIN = "20s"
SNAPSHOT_NS = 6_000_000_000  # the runs are compared here, at the shell, before they diverge
FINAL_NS = 16_000_000_000  # and the RTOS's console again here, after they diverged
RTOS_LINE = re.compile(
    r"rt-periodic: at (\d+) ms: (\d+) jobs, (\d+) deadline misses, max response (\d+) us"
)
ARCH_TIMER = re.compile(r"^\s*\d+:\s+(\d+)\s.*arch_timer\s*$", re.MULTILINE)
RTOS_UART = 0x0904_0000  # physical UART1: the RTOS VM's console, not mapped for Linux
FED = b"echo fed-$((6 * 7))\n"
DEVMEM = f"devmem {RTOS_UART:#x} 32 0x58"  # a write outside the Linux VM's memory
STRAY_WRITE = f"address {RTOS_UART:#010x} (write of 4 bytes)"


def shell(system: rthv.System, command: str, within: str = "2s") -> str:
    """Type ``command`` into the Linux shell; what it printed before the next prompt."""
    console = system.vm("linux").console
    start = console.cursor
    console.send(command + "\n")
    console.expect(PROMPT, within=within)
    printed = console.text[start : console.cursor].replace("\r\n", "\n")
    return printed.split("\n", 1)[1].rsplit("\n", 1)[0] if "\n" in printed else ""


def variant(
    factory: pytest.TempPathFactory, name: str, *, fault: str, linux_on_top: bool = False
) -> Path:
    """The example with the Linux VM's fault policy set (and the priorities swapped)."""
    text = EXAMPLE.read_text().replace("../guests/", f"{REPO}/guests/")
    text = text.replace('name = "linux"\n', f'name = "linux"\nfault = "{fault}"\n')
    if linux_on_top:
        text = text.replace("priority = 0", "priority = X").replace("priority = 1", "priority = 0")
        text = text.replace("priority = X", "priority = 1")
    config = factory.mktemp(name) / f"{name}.toml"
    config.write_text(text)
    return config


def booted(config: Path) -> rthv.System:
    """The system of ``config``, run until the Linux shell's prompt."""
    system = rthv.load(config)
    system.vm("linux").console.expect(PROMPT, within=BOOT_WITHIN)
    return system


@dataclass(frozen=True)
class Snapshot:
    """What a run shows at one virtual time."""

    time_ns: Fraction
    consoles: dict[str, str]
    instructions: dict[str, int]
    trace_sha256: str


def snapshot(system: rthv.System) -> Snapshot:
    """Every console, each VM's instruction count and the trace's hash, now."""
    trace = "\n".join(f"{e.cycle} {e.kind} {e.vm} {e.detail}" for e in system.trace)
    return Snapshot(
        system.now_ns,
        {vm.name: vm.console.text for vm in system.vms} | {"rthv": system.hypervisor_console},
        {vm.name: vm.summary.instructions for vm in system.vms},
        hashlib.sha256(trace.encode()).hexdigest(),
    )


def rtos_reports(system: rthv.System) -> list[tuple[int, ...]]:
    """The RTOS's progress lines: (at ms, jobs, misses, largest response in us)."""
    text = system.vm("rtos").console.text
    return [tuple(int(g) for g in m.groups()) for m in RTOS_LINE.finditer(text)]


def printk_mark(system: rthv.System, name: str) -> tuple[Fraction, Fraction]:
    """Write ``name`` to the kernel log; (its printk time, virtual time when it was printed)."""
    console = system.vm("linux").console
    console.send(f"echo {name} > /dev/kmsg\n")
    found = console.expect(rf"\[\s*(\d+)\.(\d{{6}})\] {name}", within="1s")
    printk = int(found.group(1)) + Fraction(int(found.group(2)), 1_000_000)
    printed = system.now_ns / 1_000_000_000
    console.expect(PROMPT, within="1s")
    return printk, printed


@dataclass
class MainRun:
    """The example as shipped, driven through its shell, and powered off at the end."""

    system: rthv.System
    at_snapshot: Snapshot
    outputs: dict[str, str]
    marks: list[tuple[Fraction, Fraction]]
    at_final: Snapshot
    powered_off_ns: Fraction


@pytest.fixture(scope="module")
def main_run() -> MainRun:
    """Boot, a snapshot, commands, two printk marks 2 s apart, then ``poweroff -f``."""
    system = booted(EXAMPLE)
    system.run(until=SNAPSHOT_NS)
    at_snapshot = snapshot(system)
    outputs = {"uname": shell(system, "uname -a")}
    outputs["interrupts-1"] = shell(system, "cat /proc/interrupts")
    system.run(duration="500ms")
    outputs["interrupts-2"] = shell(system, "cat /proc/interrupts")
    outputs["cpuinfo"] = shell(system, "cat /proc/cpuinfo")
    marks = [printk_mark(system, "rthv-mark-one")]
    system.run(duration="2s")
    marks.append(printk_mark(system, "rthv-mark-two"))
    system.run(until=FINAL_NS)
    at_final = snapshot(system)
    powered_off_ns = system.now_ns
    system.vm("linux").console.send("poweroff -f\n")
    system.run(duration="2s")
    return MainRun(system, at_snapshot, outputs, marks, at_final, powered_off_ns)


@pytest.fixture(scope="module")
def devmem_run() -> tuple[Snapshot, rthv.System, Snapshot]:
    """The same system from scratch; at the snapshot, the shell writes to the RTOS's UART."""
    system = booted(EXAMPLE)
    system.run(until=SNAPSHOT_NS)
    at_snapshot = snapshot(system)
    system.vm("linux").console.send(DEVMEM + "\n")
    system.run(until=FINAL_NS)
    return at_snapshot, system, snapshot(system)


@pytest.fixture(scope="module")
def restart_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Snapshot, rthv.System, Snapshot]:
    """As ``devmem_run``, with fault = "restart" for Linux: its VM starts again from its images
    and boots to its prompt again, while the RTOS runs on."""
    system = booted(variant(tmp_path_factory, "linux-restart", fault="restart"))
    system.run(until=SNAPSHOT_NS)
    at_snapshot = snapshot(system)
    console = system.vm("linux").console
    console.send(DEVMEM + "\n")
    console.expect(BOOTING, within="5s")
    console.expect(PROMPT, within=BOOT_WITHIN)
    system.run(until=FINAL_NS)
    return at_snapshot, system, snapshot(system)


@dataclass
class LinuxOnTop:
    """Linux above the RTOS, with fault = "inject": a stray write from its shell, then a reboot."""

    system: rthv.System
    devmem: str  # what the shell and the kernel printed for the stray write
    alive: str  # the shell's answer after it
    again: str  # the shell's answer after ``reboot -f`` and a second boot


@pytest.fixture(scope="module")
def linux_on_top(tmp_path_factory: pytest.TempPathFactory) -> LinuxOnTop:
    """The example with the priorities swapped (Linux above the RTOS) and Linux's faults
    injected; 3 s at the shell, a stray write, then ``reboot -f`` (PSCI SYSTEM_RESET)."""
    config = variant(tmp_path_factory, "linux-on-top", fault="inject", linux_on_top=True)
    system = rthv.load(config)
    feed_inputs(system.hypervisor, [("linux", FED)])  # what --input linux:FILE does
    console = system.vm("linux").console
    console.expect(PROMPT, within=BOOT_WITHIN)
    system.run(duration="3s")
    console.cursor = len(console.text)  # past the fed line's answer and its prompt
    devmem = shell(system, DEVMEM)
    alive = shell(system, "echo alive-$((6 * 7))")
    console.send("reboot -f\n")
    console.expect(BOOTING, within="5s")
    console.expect(PROMPT, within=BOOT_WITHIN)
    again = shell(system, "echo again-$((6 * 7))")
    return LinuxOnTop(system, devmem, alive, again)


def test_the_shell_answers_uname(main_run: MainRun) -> None:
    """Debian's armmp kernel, on a 32-bit Arm machine, with the hostname /init gave it."""
    uname = main_run.outputs["uname"]
    assert re.fullmatch(
        r"Linux linux 6\.\d+\.\d+-\d+-armmp #1 SMP Debian .* armv7l GNU/Linux", uname
    )


def test_the_virtual_timer_interrupt_counts_up(main_run: MainRun) -> None:
    """/proc/interrupts: arch_timer (the virtual timer, PPI 27) ticked between two reads."""
    first = ARCH_TIMER.search(main_run.outputs["interrupts-1"])
    second = ARCH_TIMER.search(main_run.outputs["interrupts-2"])
    assert first and second, main_run.outputs["interrupts-1"]
    assert " 27 " in first.group(0)
    assert int(second.group(1)) > int(first.group(1)) > 0


def test_cpuinfo_is_a_cortex_a15_with_vfp_and_neon(main_run: MainRun) -> None:
    """One ARMv7 processor, Arm's part 0xc0f (Cortex-A15), hard-float VFP and NEON."""
    cpuinfo = main_run.outputs["cpuinfo"]
    assert cpuinfo.count("processor\t:") == 1
    assert "model name\t: ARMv7 Processor rev 1 (v7l)" in cpuinfo
    assert "CPU implementer\t: 0x41" in cpuinfo and "CPU part\t: 0xc0f" in cpuinfo
    features = re.search(r"Features\t: (.*)", cpuinfo)
    assert features and {"vfpv4", "neon", "idiva"} <= set(features.group(1).split())


def test_the_printk_clock_follows_virtual_time(main_run: MainRun) -> None:
    """Two kernel-log lines 2 s apart: printk time and virtual time advance alike."""
    (printk_1, virtual_1), (printk_2, virtual_2) = main_run.marks
    assert virtual_2 - virtual_1 > 2
    assert abs((printk_2 - printk_1) - (virtual_2 - virtual_1)) < Fraction(3, 1000)
    offset = virtual_1 - printk_1  # the kernel's clock starts after the zImage decompressed
    assert 0 < offset < 5


def test_poweroff_stops_the_linux_vm_cleanly(main_run: MainRun) -> None:
    """``poweroff -f`` is PSCI SYSTEM_OFF: the VM stops with a report line; the RTOS goes on."""
    system = main_run.system
    fault = system.vm("linux").fault
    assert fault is not None and fault.startswith('vm "linux" powered off (PSCI SYSTEM_OFF)')
    assert fault in system.hypervisor_console
    linux = next(vm for vm in system.report["vms"] if vm["name"] == "linux")  # type: ignore[attr-defined]
    assert linux["fault"] == fault
    last_report_ms = rtos_reports(system)[-1][0]
    assert last_report_ms * 1_000_000 > main_run.powered_off_ns
    assert system.vm("rtos").fault is None


def test_rtos_on_top_misses_no_deadline_and_its_latency_is_reported(main_run: MainRun) -> None:
    """Through Linux's boot and shell, every RTOS report says 0 misses; latency is reported."""
    reports = rtos_reports(main_run.system)
    assert len(reports) >= 16
    assert all(misses == 0 for _, _, misses, _ in reports)
    summary = main_run.system.vm("rtos").summary
    assert summary.irq_latency_us is not None
    low, mean, high = summary.irq_latency_us
    assert 0 < low <= mean <= high
    assert "IRQ latency" in summary.line()


def test_linux_on_top_makes_the_rtos_miss(linux_on_top: LinuxOnTop) -> None:
    """With Linux above it, the RTOS waits through Linux's boot: its reports show misses."""
    reports = rtos_reports(linux_on_top.system)
    assert reports and reports[-1][2] > 0


def test_two_runs_to_the_same_time_are_identical(
    main_run: MainRun, devmem_run: tuple[Snapshot, rthv.System, Snapshot]
) -> None:
    """From scratch, twice: consoles (printk times included), counts and trace are equal."""
    again, _, _ = devmem_run
    assert again == main_run.at_snapshot
    assert "] Run /init as init process" in again.consoles["linux"]


def test_devmem_to_the_rtos_uart_is_contained(
    main_run: MainRun, devmem_run: tuple[Snapshot, rthv.System, Snapshot]
) -> None:
    """The write never reaches UART1: the RTOS's console is the run-without-it's, and the
    report names the access; only the Linux VM is stopped."""
    _, system, at_final = devmem_run
    assert at_final.time_ns == main_run.at_final.time_ns
    assert at_final.consoles["rtos"] == main_run.at_final.consoles["rtos"]
    fault = system.vm("linux").fault
    assert fault is not None
    assert fault.startswith('vm "linux" stopped: Stage-2 translation fault')
    assert STRAY_WRITE in fault
    assert system.vm("rtos").fault is None


def test_restart_boots_linux_again_and_the_rtos_is_untouched(
    main_run: MainRun, restart_run: tuple[Snapshot, rthv.System, Snapshot]
) -> None:
    """fault = "restart": the stray write restarts the Linux VM from its images, it boots to
    its prompt again; the RTOS's console is the run-without-it's, with no deadline missed."""
    at_snapshot, system, at_final = restart_run
    assert at_snapshot == main_run.at_snapshot  # the policy changes nothing before a fault
    linux = system.vm("linux")
    assert linux.fault is None and linux.summary.restarts == 1
    (fault,) = system.hypervisor.faults
    line = fault.describe()
    assert (
        line.startswith('vm "linux" restarted: Stage-2 translation fault') and STRAY_WRITE in line
    )
    assert line in system.hypervisor_console
    text = linux.console.text
    assert text.count("Booting Linux on physical CPU") == 2
    assert PROMPT.search(text, text.rindex("Booting Linux on physical CPU"))
    assert at_final.consoles["rtos"] == main_run.at_final.consoles["rtos"]
    assert all(misses == 0 for _, _, misses, _ in rtos_reports(system))
    assert system.vm("rtos").fault is None


def test_inject_lets_linux_handle_the_abort_and_the_shell_survives(
    linux_on_top: LinuxOnTop,
) -> None:
    """fault = "inject": Linux's own handler gets a synchronous external abort (DFSR 0x808: a
    write, external), the process gets SIGBUS, and the shell answers the next command."""
    assert (
        "Unhandled fault: external abort on non-linefetch (0x808) at 0x09040000"
        in linux_on_top.devmem
    )
    assert linux_on_top.devmem.endswith("Bus error")
    assert linux_on_top.alive == "alive-42"
    system = linux_on_top.system
    linux = system.vm("linux")
    assert linux.summary.injected_aborts == 1
    (fault,) = system.hypervisor.faults
    line = fault.describe()
    assert line.startswith('vm "linux" injected: Stage-2 translation fault') and STRAY_WRITE in line


def test_reboot_restarts_linux_from_its_images(linux_on_top: LinuxOnTop) -> None:
    """``reboot -f`` is PSCI SYSTEM_RESET: the VM starts again from its images, boots to its
    prompt, and the shell answers; nothing is stopped."""
    system = linux_on_top.system
    reset = 'vm "linux" reset (PSCI SYSTEM_RESET): restarting from its images'
    assert reset in system.hypervisor_console
    assert system.vm("linux").console.text.count("Booting Linux on physical CPU") == 2
    assert linux_on_top.again == "again-42"
    assert system.vm("linux").fault is None and system.vm("rtos").fault is None


def test_input_fed_from_boot_reaches_the_shell(linux_on_top: LinuxOnTop) -> None:
    """Fed before the kernel even ran, the line waits for the console driver, then the shell
    runs it: nothing is lost while the driver starts."""
    text = linux_on_top.system.vm("linux").console.text
    assert "\nfed-42" in text.replace("\r\n", "\n")
