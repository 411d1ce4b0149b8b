"""Property-based robustness: random hypercalls, GICD accesses and device accesses of any width
and alignment from real guest code, random valid configurations that boot and run, random
invalid ones refused in one line naming the field.

`make test` runs a CI-sized count; `make fuzz` sets RTHV_FUZZ_EXAMPLES and records what ran
(tests/fuzz_support.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rthv
from fuzz_support import EXAMPLES, FUZZING, MIN_PER_RUN, PER_RUN, count_cases, to_toml
from hv_support import boot, vm_toml
from probe_support import HELLO, probe_toml, results
from rthv.hv.config import ConfigError, load_config
from rthv.hv.hypercalls import ABI_VERSION, MAX_CHANNEL_ID, HypercallError
from rthv.hv.scheduling.errors import PolicyParameterError
from rthv.tools.system import boot_system
from support import guest_image

WORD = st.integers(0, 0xFFFF_FFFF)
SLOW = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not FUZZING,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.large_base_example,
        HealthCheck.data_too_large,
    ],
)
NOTIFY_CHANNEL = 0  # the probe VM's one channel: to the hello VM


def _probe_beside_hello(folder: Path, probe: int, cases: list[tuple[int, ...]]) -> rthv.System:
    """The probe VM (with a notify channel to b) and a hello VM, run to the end of the table."""
    system = _booted_probe_beside_hello(folder, probe, cases)
    system.run(until="2s")
    return system


def _booted_probe_beside_hello(
    folder: Path, probe: int, cases: list[tuple[int, ...]]
) -> rthv.System:
    """The system of ``_probe_beside_hello``, booted, not run yet."""
    path = folder / "system.toml"
    channel = f'[[notify]]\nfrom = "p"\nto = "b"\nvirq = 40\nid = {NOTIFY_CHANNEL}\n'
    path.write_text(
        'board = "vexpress-a15"\n[scheduler]\npolicy = "round-robin"\n'
        + probe_toml(folder, probe, cases)
        + vm_toml("b", "hello", uart="uart1")
        + channel
    )
    return boot(path, full_trace=False)


# -- hypercalls ---------------------------------------------------------------------------------


def _is_psci(function: int) -> bool:
    """PSCI function IDs (SMC Calling Convention, standard service): tested on their own."""
    return function & 0xBF00_0000 == 0x8400_0000


FUNCTION = st.one_of(st.sampled_from([0, 1, 2]), st.integers(0, 8), WORD).filter(
    lambda f: not _is_psci(f)
)
HYPERCALL = st.tuples(
    st.one_of(st.just(0), st.integers(0, 0xFFFF)),  # the HVC immediate
    FUNCTION,
    st.one_of(st.integers(0, 3), st.integers(0, MAX_CHANNEL_ID + 2), WORD),  # r1
    WORD,
    WORD,
)


def _expected(immediate: int, function: int, r1: int) -> int:
    """What the ABI (docs/hypercalls.md) answers the probe VM (VM 0, channel 0 to b)."""
    if immediate != 0:
        return HypercallError.NOSYS
    if function == 0:
        return ABI_VERSION
    if function == 2:
        return 0
    if function == 1:
        if r1 > MAX_CHANNEL_ID:
            return HypercallError.INVAL
        return 0 if r1 == NOTIFY_CHANNEL else HypercallError.NOCHAN
    return HypercallError.NOSYS


@SLOW
@given(cases=st.lists(HYPERCALL, min_size=MIN_PER_RUN, max_size=PER_RUN))
def test_random_hypercalls_from_a_guest_get_the_documented_status(
    cases: list[tuple[int, int, int, int, int]], tmp_path: Path
) -> None:
    """Any immediate and registers: the documented status in r0; nothing else is disturbed."""
    system = _probe_beside_hello(tmp_path, 20, list(cases))
    count_cases("hypercalls", len(cases))
    assert system.console_text("p").endswith(
        f"probe: {len(cases)} hypercalls made\nprobe done und=0 dabt=0\n"
    )
    expected = [_expected(imm, fn, r1) & 0xFFFF_FFFF for imm, fn, r1, _, _ in cases]
    assert results(system, len(cases)) == expected
    assert system.hypervisor.faults == []
    assert system.console_text("b") == HELLO


# -- GICD accesses ------------------------------------------------------------------------------

GICD_ACCESS = st.tuples(
    st.integers(0, 0xFFF),  # offset in the distributor page
    st.builds(lambda width, write: width | (write << 8), st.sampled_from([1, 4]), st.booleans()),
    WORD,
)
FOREIGN_IRQ = 38  # UART1's interrupt, b's


@SLOW
@given(cases=st.lists(GICD_ACCESS, min_size=MIN_PER_RUN, max_size=PER_RUN))
def test_random_gicd_accesses_from_a_guest_change_nothing_of_another_vm(
    cases: list[tuple[int, int, int]], tmp_path: Path
) -> None:
    """Any GICD reads and writes: served or ignored, never a crash; b's interrupt untouched."""
    system = _probe_beside_hello(tmp_path, 21, list(cases))
    count_cases("gicd_accesses", len(cases))
    assert system.console_text("p").endswith(
        f"probe: {len(cases)} gicd accesses made\nprobe done und=0 dabt=0\n"
    )
    hv = system.hypervisor
    assert hv.faults == []
    assert not hv.machine.gicd.is_enabled(FOREIGN_IRQ)
    assert system.console_text("b") == HELLO
    ignored = [line for line in system.console_text("rthv").splitlines() if "ignored" in line]
    assert len(ignored) <= 3 * len(hv.vms["p"].counters.ignored_by_register)


# -- device accesses of any width and alignment ------------------------------------------------

# (GICD or uart0, offset, width | write << 8, value): LDRB/H, LDR, LDRD and their stores, at any
# offset that keeps the access inside the device's page, aligned or not.
MMIO_ACCESS = st.tuples(
    st.sampled_from([0, 1]),
    st.integers(0, 0xFFF),
    st.builds(
        lambda width, write: width | (write << 8), st.sampled_from([1, 2, 4, 8]), st.booleans()
    ),
    WORD,
).map(lambda case: (case[0], min(case[1], 0x1000 - (case[2] & 0xFF)), case[2], case[3]))


@SLOW
@given(cases=st.lists(MMIO_ACCESS, min_size=MIN_PER_RUN, max_size=PER_RUN))
def test_random_device_accesses_of_any_width_and_alignment_stay_in_the_guest(
    cases: list[tuple[int, int, int, int]], tmp_path: Path
) -> None:
    """Any width (1, 2, 4, 8 bytes), any alignment, to the emulated GICD and to the VM's own
    UART, through the engine's native MMIO callbacks: served, ignored or an abort in the guest,
    never a crash or a fault of rthv; the hello VM untouched."""
    system = _booted_probe_beside_hello(tmp_path, 23, list(cases))
    for ms in range(5, 2001, 5):  # to the end of the table and of hello: random UART and GICD
        system.run(until=f"{ms}ms")  # writes may leave the probe's final WFI loop spinning
        if "probe done" in system.console_text("p") and system.console_text("b") == HELLO:
            break
    count_cases("mmio_accesses", len(cases))
    console = system.console_text("p")
    assert f"probe: {len(cases)} mmio accesses made\nprobe done und=0 dabt=" in console
    hv = system.hypervisor
    assert hv.faults == []
    assert not hv.machine.gicd.is_enabled(FOREIGN_IRQ)
    assert system.console_text("b") == HELLO


# -- configurations -----------------------------------------------------------------------------

UARTS = ("uart0", "uart1", "uart2", "uart3")
# A budget below a few world switches (3,000 cycles each: 60 us at 50 MHz) leaves a VM no time
# to run at all; at most 4 x 200 us per 4 ms adds 0.2 to the utilisation.
MIN_BUDGET_US = 200
POLICIES: dict[str, Any] = {
    "round-robin": st.fixed_dictionaries({}, optional={"quantum_us": st.integers(100, 10_000)}),
    "fixed-priority": st.fixed_dictionaries({"priority": st.integers(0, 255)}),
    "edf": st.integers(4_000, 20_000).flatmap(
        lambda period: st.fixed_dictionaries(
            {"period_us": st.just(period), "budget_us": st.integers(MIN_BUDGET_US, period)}
        )
    ),
}


@st.composite
def valid_configs(draw: st.DrawFn) -> dict[str, Any]:
    """A system of 1-4 hello VMs under a random built-in policy, clock and memory sizes."""
    policy = draw(st.sampled_from(sorted(POLICIES)))
    count = draw(st.integers(1, 4))
    vms = []
    for index in range(count):
        sched = draw(POLICIES[policy])
        vms.append(
            {
                "name": f"vm{index}",
                "console": UARTS[index],
                "sched": sched,
                "image": [{"path": str(guest_image("hello"))}],
                "memory": [{"ipa": 0x80000000, "size": draw(st.sampled_from(["1M", "2M", "4M"]))}],
                "device": [{"name": UARTS[index], "ipa": 0x1C090000}],
            }
        )
    if policy == "edf":  # keep the set schedulable: the budgets' utilisation below one
        total = sum(vm["sched"]["budget_us"] / vm["sched"]["period_us"] for vm in vms)
        for vm in vms:
            budget = int(vm["sched"]["budget_us"] / (total * 1.25))
            vm["sched"]["budget_us"] = max(MIN_BUDGET_US, budget)
    return {
        "board": "vexpress-a15",
        "cpu_hz": draw(st.sampled_from([50_000_000, 100_000_000, 1_000_000_000, 2_000_000_000])),
        "cpi": draw(st.integers(1, 4)),
        "scheduler": {"policy": policy},
        "vm": vms,
    }


@SLOW
@given(config=valid_configs())
def test_random_valid_configurations_boot_and_run(config: dict[str, Any], tmp_path: Path) -> None:
    """Every valid system boots; each VM prints what it prints alone; nothing is stopped."""
    path = tmp_path / "system.toml"
    path.write_text(to_toml(config))
    count_cases("valid_configs", 1)
    system = boot(path, full_trace=False)
    system.run(until="100ms")
    assert system.hypervisor.faults == []
    for vm in config["vm"]:
        assert system.console_text(vm["name"]) == HELLO


def _set(config: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    target: Any = config
    for part in path[:-1]:
        target = target[part]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value


_DELETE = object()
BAD_VALUES = st.sampled_from([-1, 0, "zero", True, [], {}])


@st.composite
def invalid_configs(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A valid configuration with one field made wrong, and the field's name in messages."""
    config = draw(valid_configs())
    index = draw(st.integers(0, len(config["vm"]) - 1))
    vm = ("vm", index)
    choice = draw(st.integers(0, 7))
    if choice == 0:
        _set(config, ("cpu_hz",), draw(st.sampled_from([0, -5, "fast", 1.5, True])))
        return config, "cpu_hz"
    if choice == 1:
        _set(config, (*vm, "memory", 0, "size"), draw(st.sampled_from([0, -4096, 0x1800, "1Q"])))
        return config, f"vm[{index}].memory[0].size"
    if choice == 2:
        _set(config, (*vm, "memory", 0, "ipa"), draw(st.sampled_from([0x80000800, -1, "x"])))
        return config, f"vm[{index}].memory[0].ipa"
    if choice == 3:
        _set(config, (*vm, "name"), draw(st.sampled_from(["", "1vm", "a b", 7])))
        return config, f"vm[{index}].name"
    if choice == 4:
        key = draw(st.sampled_from(["colour", "memroy", "imag", "consol"]))
        _set(config, (*vm, key), 1)
        return config, f"vm[{index}].{key}"
    if choice == 5:
        _set(config, (*vm, "memory"), _DELETE)
        return config, f"vm[{index}].memory"
    if choice == 6:
        _set(config, ("cpi",), draw(BAD_VALUES))
        return config, "cpi"
    policy = config["scheduler"]["policy"]
    key = {"round-robin": "quantum_us", "fixed-priority": "priority", "edf": "period_us"}[policy]
    _set(config, (*vm, "sched", key), draw(st.sampled_from([-1, "soon", 1.5])))
    return config, f"vm[{index}].sched.{key}"


@SLOW
@given(case=invalid_configs())
def test_random_invalid_configurations_are_refused_naming_the_field(
    case: tuple[dict[str, Any], str], tmp_path: Path
) -> None:
    """One wrong field: refused before anything runs, in one line naming the file and field."""
    config, field = case
    path = tmp_path / "system.toml"
    path.write_text(to_toml(config))
    count_cases("invalid_configs", 1)
    with pytest.raises((ConfigError, PolicyParameterError)) as caught:
        if field.split(".")[-2:-1] == ["sched"] or ".sched." in field:
            load_config(path)
            boot_system(path)
        else:
            load_config(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    parent, _, key = field.rpartition(".")
    assert field in message or (parent in message and key in message), message
