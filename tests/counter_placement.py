"""Where an instruction counter's state lies from its engine's CPU state, and a way to put it out
of reach.

Counting inline (rthv's engine), each translated block addresses the counter's fields relative
to the engine's CPU state (``env``) when the state lies within 1 GiB of it; else the block loads
the state's address as a constant and addresses the fields from that (the far path, in
``engine/unicorn-inline-counter.patch``). ``place_states_far`` makes every counter made from
then on keep its state in a mapping of its own, far from the heap and the libraries, so that
its engine takes the far path.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import itertools
from collections.abc import Callable
from typing import Any

from unicorn import Uc, arm_const

from rthv.board import counter as counter_module
from rthv.board import cpu as cpu_module
from rthv.board.cpu import CpuCore
from rthv.board.icount_state import IcountState

REACH = 1 << 30  # how far from the CPU state a block addresses the counter's fields directly
_FAR_BASE = 0x2000_0000_0000  # 32 TiB: far below where Linux puts the heap and mappings
_PAGE = 4096
_REGISTERS = [arm_const.UC_ARM_REG_R0 + number for number in range(13)]

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = (
    ctypes.c_void_p,
    ctypes.c_size_t,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_int,
    ctypes.c_long,
)
_PROT_READ_WRITE = 0x1 | 0x2
_MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20
_next_hint = itertools.count(_FAR_BASE, REACH)


def _far_mapping(size: int) -> int:
    """A fresh zeroed mapping of ``size`` bytes at a far address (never unmapped: an engine
    may hold its address for as long as the process lives)."""
    length = -(-size // _PAGE) * _PAGE
    address = _libc.mmap(
        ctypes.c_void_p(next(_next_hint)), length, _PROT_READ_WRITE, _MAP_PRIVATE_ANONYMOUS, -1, 0
    )
    if address is None or address == ctypes.c_void_p(-1).value:
        raise OSError(ctypes.get_errno(), "mmap failed")
    return int(address)


class _FarState(IcountState):
    """``IcountState()`` made in a far mapping (same layout and size: a subclass adds nothing)."""

    def __new__(cls) -> IcountState:  # type: ignore[misc]
        return IcountState.from_address(_far_mapping(ctypes.sizeof(IcountState)))


def place_states_far(setattr_: Callable[[Any, str, Any], None] = setattr) -> list[CpuCore]:
    """Every counter made from now on keeps its state in a far mapping (``setattr_``: how to
    patch, e.g. pytest's ``monkeypatch.setattr``, undone after the test). Returns the list
    that the cores made from now on are appended to, to check their placement afterwards."""
    cores: list[CpuCore] = []
    make_core = CpuCore.__init__

    def recording_init(core: CpuCore, *args: Any, **kwargs: Any) -> None:
        make_core(core, *args, **kwargs)
        cores.append(core)

    setattr_(counter_module, "IcountState", _FarState)
    setattr_(cpu_module.CpuCore, "__init__", recording_init)
    return cores


def _scan(pattern: bytes) -> list[int]:
    """Addresses of ``pattern`` in every writable mapping of this process."""
    found: list[int] = []
    with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", buffering=0) as memory:
        for line in maps:
            fields = line.split()
            if not fields[1].startswith("rw"):
                continue
            low, high = (int(bound, 16) for bound in fields[0].split("-"))
            try:
                memory.seek(low)
                data = memory.read(high - low)
            except OSError:  # (a mapping that cannot be read: a guard, a device)
                continue
            at = data.find(pattern)
            while at >= 0:
                found.append(low + at)
                at = data.find(pattern, at + 1)
    return found


def _put_registers(uc: Uc, seed: int) -> bytes:
    values = [(seed * 0x9E37_79B1 + number * 0x0100_0193) & 0xFFFF_FFFF for number in range(13)]
    for register, value in zip(_REGISTERS, values, strict=True):
        uc.reg_write(register, value)
    return b"".join(value.to_bytes(4, "little") for value in values)


def cpu_state_address(uc: Uc) -> int:
    """Where ``uc``'s CPU state (QEMU's ``CPUARMState``, which begins with r0-r15) lies: the
    one place that holds r0-r12 as written, and holds them again after they are rewritten
    (a copy of the first values, e.g. the pattern searched for, does not change)."""
    saved = [uc.reg_read(register) for register in _REGISTERS]
    first = _put_registers(uc, 0x5A17)  # (kept alive: its bytes must not be reused by ``second``)
    candidates = _scan(first)
    second = _put_registers(uc, 0xC0DE)
    with open("/proc/self/mem", "rb", buffering=0) as memory:
        places = []
        for address in candidates:
            try:
                memory.seek(address)
                now_there = memory.read(len(second))
            except OSError:  # (a copy made while searching, in memory since given back)
                continue
            if now_there == second:
                places.append(address)
    for register, value in zip(_REGISTERS, saved, strict=True):
        uc.reg_write(register, value)
    assert len(places) == 1, (first, places)
    return places[0]


def distance(core: CpuCore) -> int:
    """Bytes from ``core``'s engine's CPU state to its counter's state (either way)."""
    return abs(ctypes.addressof(core.counter.state) - cpu_state_address(core.uc))


def assert_out_of_reach(cores: list[CpuCore]) -> None:
    """Every core of ``cores`` counts through the far path."""
    assert cores
    for core in cores:
        assert core.counter.inline, core.name
        assert distance(core) >= REACH, core.name
