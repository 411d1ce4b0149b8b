"""The hypercall ABI in code is the one docs/hypercalls.md publishes; calls are a table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from probe_support import results, run_probe
from rthv.hv.hypercalls import (
    ABI_VERSION,
    HVC_IMMEDIATE,
    HYPERCALLS,
    Arguments,
    Hypercall,
    HypercallContext,
    HypercallError,
    as_register,
)

DOC = Path(__file__).resolve().parents[1] / "docs" / "hypercalls.md"
GUEST_HEADER = Path(__file__).resolve().parents[1] / "guests" / "rtos" / "include" / "rthv_ipc.h"


def _rows(prefix: str) -> dict[str, list[str]]:
    """Rows of the doc's tables whose name cell is `{prefix}NAME`, by NAME: all their cells."""
    rows: dict[str, list[str]] = {}
    for line in DOC.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 2:
            continue
        name = re.fullmatch(rf"`{prefix}(\w+)`", cells[1])
        if name:
            rows[name.group(1)] = cells
    return rows


def test_function_numbers_match_the_documented_table() -> None:
    """Every `RTHV_HVC_*` row is a Hypercall member with the same r0, and nothing else is."""
    documented = {name: int(cells[0]) for name, cells in _rows("RTHV_HVC_").items()}
    assert documented == {call.name: call.value for call in Hypercall}
    assert documented == {"VERSION": 0, "NOTIFY": 1, "VM_ID": 2}


def test_error_codes_match_the_documented_table() -> None:
    """Every `RTHV_E_*` row is a HypercallError member with the same (negative) r0."""
    documented = {name: int(cells[0]) for name, cells in _rows("RTHV_E_").items()}
    assert documented == {error.name: error.value for error in HypercallError}
    assert all(value < 0 for value in documented.values())


def test_the_version_call_returns_the_documented_abi_version() -> None:
    """The VERSION row's return value is ABI_VERSION: major 1 in bits 31:16, minor 0."""
    returns = _rows("RTHV_HVC_")["VERSION"][3]
    match = re.match(r"`(0x[0-9a-fA-F]+)`", returns)
    assert match is not None
    assert int(match.group(1), 16) == ABI_VERSION == 1 << 16


def test_the_calling_instruction_is_hvc_0() -> None:
    """The doc's calling convention is `hvc #0`, the immediate the hypervisor accepts."""
    assert "`hvc #0`" in DOC.read_text()
    assert HVC_IMMEDIATE == 0


def test_the_guests_header_defines_the_same_numbers() -> None:
    """guests/rtos/include/rthv_ipc.h, which the RTOS calls through, has the code's ABI."""
    defines = {
        name: int(value.strip("()"), 0)
        for name, value in re.findall(
            r"^#define\s+RTHV_(\w+)\s+(\(?-?(?:0x[0-9a-fA-F]+|\d+)\)?)U?\b",
            GUEST_HEADER.read_text(),
            re.MULTILINE,
        )
    }
    assert {k[4:]: v for k, v in defines.items() if k.startswith("HVC_")} == {
        call.name: call.value for call in Hypercall
    }
    assert {k[2:]: v for k, v in defines.items() if k.startswith("E_")} == {
        error.name: error.value for error in HypercallError
    }
    assert defines["ABI_VERSION"] == ABI_VERSION


@pytest.mark.parametrize(
    ("status", "register"),
    [
        (HypercallError.NOSYS, 0xFFFF_FFFF),
        (HypercallError.INVAL, 0xFFFF_FFFE),
        (HypercallError.NOCHAN, 0xFFFF_FFFD),
        (HypercallError.PERM, 0xFFFF_FFFC),
        (0, 0),
        (ABI_VERSION, 0x0001_0000),
        (0x7FFF_FFFF, 0x7FFF_FFFF),
    ],
)
def test_as_register_is_the_32_bit_twos_complement(status: int, register: int) -> None:
    """Negative statuses become their 32-bit two's complement in r0; others are unchanged."""
    assert as_register(status) == register


def test_every_documented_call_has_a_handler() -> None:
    """The table holds exactly the ABI's function numbers."""
    assert set(HYPERCALLS) == set(Hypercall)


TEST_ADD = 0x7F  # a test-only function number: r0 = r1 + r2


def _add(call: HypercallContext, args: Arguments) -> int:
    call.record("test-add", f"{args[0]}+{args[1]}")
    return args[0] + args[1]


def test_a_hypercall_registered_from_a_test_is_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One table entry is all a new call needs: the guest's hvc reaches it, r0 carries its result,
    and it is counted and traced like the built-in ones."""
    monkeypatch.setitem(HYPERCALLS, TEST_ADD, _add)
    system = run_probe(tmp_path, 20, [(0, TEST_ADD, 40, 2, 0), (0, TEST_ADD + 1, 0, 0, 0)])
    assert results(system, 2) == [42, as_register(HypercallError.NOSYS)]
    hv = system.hypervisor
    events = [(e.kind, e.detail) for e in hv.trace if e.kind in ("test-add", "hvc")]
    assert events == [
        ("test-add", "40+2"),
        ("hvc", f"fn={TEST_ADD} status=42"),
        ("hvc", f"fn={TEST_ADD + 1} status={HypercallError.NOSYS}"),
    ]
    assert (hv.vms["p"].counters.hypercalls, hv.vms["p"].counters.hypercall_errors) == (2, 1)
