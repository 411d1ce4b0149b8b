"""The T-Kernel-style RTOS guest bare-metal on the board, and the same images on QEMU."""

from __future__ import annotations

import re

import pytest

from support import boot, guest_image, run_on_qemu, run_until_output

# The RTOS ticks from the non-secure physical generic timer (CNTP_*, PPI 30). QEMU's vexpress-a15
# starts the CPU in secure SVC by default, where CNTP_* is the secure timer (PPI 29); without EL3
# and EL2 it starts in non-secure SVC, as the rthv board does.
QEMU_MACHINE = "vexpress-a15,secure=off,virtualization=off"


def _selftest_output() -> str:
    booted = boot(guest_image("rtos-selftest"))
    run_until_output(booted, "selftest: ", limit_ms=2000)
    run_until_output(booted, " failed\n", limit_ms=2000)
    return booted.output()


def test_selftest_passes_every_case_on_the_board() -> None:
    """Every API case prints PASS and the final count agrees, with no FAIL line."""
    output = _selftest_output()
    passes = re.findall(r"^PASS (\S+)", output, re.MULTILINE)
    assert not re.findall(r"^FAIL", output, re.MULTILINE)
    summary = re.search(r"selftest: (\d+) passed, (\d+) failed", output)
    assert summary is not None
    assert int(summary.group(1)) == len(passes) > 50 and summary.group(2) == "0"


@pytest.mark.qemu
def test_selftest_output_is_identical_on_qemu() -> None:
    """The selftest image prints exactly the same lines on qemu-system-arm -M vexpress-a15."""
    ours = _selftest_output()
    theirs = run_on_qemu(guest_image("rtos-selftest"), " failed", QEMU_MACHINE)
    assert theirs == ours


def _pingpong() -> tuple[str, int]:
    booted = boot(guest_image("rtos-pingpong-local"))
    cycle = run_until_output(booted, "pingpong: PASS", limit_ms=2000)
    return booted.output(), cycle


def test_pingpong_local_exchanges_1000_messages_each_way() -> None:
    """Two tasks exchange 1,000 checked messages each way; the checksum is the expected one."""
    output, _ = _pingpong()
    assert "pingpong: 1000 messages each way" in output
    checksum = re.search(r"checksum (0x[0-9a-f]+) \(expected (0x[0-9a-f]+)\)", output)
    assert checksum is not None and checksum.group(1) == checksum.group(2)
    assert "pingpong: PASS (0 errors)" in output


@pytest.mark.qemu
def test_pingpong_local_checksum_matches_on_qemu() -> None:
    """QEMU computes the same checksum and reports no errors."""
    ours, _ = _pingpong()
    theirs = run_on_qemu(guest_image("rtos-pingpong-local"), "pingpong: PASS", QEMU_MACHINE)
    line = re.compile(r"pingpong: checksum .*")
    assert line.findall(theirs) == line.findall(ours)
    assert "pingpong: PASS (0 errors)" in theirs


@pytest.mark.parametrize(
    ("image", "marker"), [("rtos-boot", "boot: done"), ("rtos-pingpong-local", "pingpong: PASS")]
)
def test_boot_and_pingpong_figures_are_deterministic(image: str, marker: str) -> None:
    """The virtual-time figures the guests report are identical on a rerun."""
    runs = []
    for _ in range(2):
        booted = boot(guest_image(image))
        cycle = run_until_output(booted, marker, limit_ms=2000)
        runs.append((booted.output(), cycle, booted.machine.instructions))
    assert runs[0] == runs[1]


def _misses(image: str) -> int:
    booted = boot(guest_image(image))
    run_until_output(booted, "summary:", limit_ms=3000, step_ms=50)
    summary = re.search(r"summary: (\d+) jobs completed, (\d+) deadline misses", booted.output())
    assert summary is not None and int(summary.group(1)) > 0
    return int(summary.group(2))


def test_rt_periodic_at_half_utilisation_misses_no_deadline() -> None:
    """The U = 0.5 task set meets every deadline bare-metal."""
    assert _misses("rtos-rt-periodic") == 0


def test_overloaded_task_set_misses_deadlines() -> None:
    """The U > 1 task set reports deadline misses."""
    assert _misses("rtos-rt-overload") > 0
