"""Timing profiles: how many cycles each guest instruction and each device access costs.

Virtual time advances by the cycles of the instructions the guest retires. A profile gives
each *instruction class* a weight in cycles (fractions allowed), scales every weight by ``cpi``,
and charges every access to a device window a number of cycles on top of the instruction that
made it. Time is kept in *units* of ``1 / units_per_cycle`` cycles, so fractional weights stay
exact integers; the native block hook sums a block's unit weights once, when it first sees the
block, and adds that sum each time the block runs.

Profiles (``PROFILES``):

- ``instruction-count`` (the default): every instruction costs ``cpi`` cycles (1 unless set) and
  device accesses cost nothing extra, as QEMU's ``-icount`` and Renode count time.
- ``cortex-a7`` and ``cortex-a15``: weights from gem5's models of these cores, where gem5 has
  a figure (``A7_SOURCE``, ``A15_SOURCE``); the rest are estimates, named as such in
  ``WEIGHT_SOURCES``. Device accesses cost ``DEVICE_CYCLES``.

Memory: with the MMU and data cache on (SCTLR.M and SCTLR.C set) every access is charged as an
L1 hit; with either off, data accesses are uncached (Strongly-ordered with the MMU off) and
each register loaded or stored also costs ``uncached_load`` / ``uncached_store``. The native
hook reads SCTLR at each block start in that mode. What no profile models: cache misses,
branch prediction, pipeline overlap and dual issue beyond the per-class weight, bus
contention, and Thumb classes (T32 instructions are charged the weight of ``other``, times
``cpi``, and no uncached extra). See docs/timing.md.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from types import MappingProxyType
from typing import Final


class TimingError(ValueError):
    """A timing profile or override that names nothing known or gives a bad value."""


class InsnClass(enum.IntEnum):
    """Instruction classes with a weight of their own (indices into the native weight table)."""

    OTHER = 0  # data processing, branches, hints, everything not below
    LOAD = 1  # LDR, LDRB/H/D, LDREX, SWP, LDC
    STORE = 2  # STR, STRB/H/D, STREX, STC, SRS
    LOAD_MULTIPLE = 3  # LDM (and POP of several registers): first register
    STORE_MULTIPLE = 4  # STM (and PUSH): first register
    MULTIPLY = 5  # MUL, MLA, UMULL, SMLAL, SMULxy...
    DIVIDE = 6  # SDIV, UDIV
    SYSTEM = 7  # MRC, MCR, MRRC, MCRR to CP15 or CP14
    BARRIER = 8  # DMB, DSB, ISB
    EXCEPTION = 9  # SVC, HVC, SMC, ERET, RFE, SUBS/MOVS PC, LR and LDM ^ with PC


CLASS_NAMES: Final = tuple(c.name.lower() for c in InsnClass)
PER_REGISTER: Final = "per_register"  # LDM/STM: each register after the first
UNCACHED_LOAD: Final = "uncached_load"  # extra per register loaded while the data cache is off
UNCACHED_STORE: Final = "uncached_store"  # extra per register stored while the data cache is off
EXTRAS: Final = (PER_REGISTER, UNCACHED_LOAD, UNCACHED_STORE)  # may be zero
WEIGHT_NAMES: Final = (*CLASS_NAMES, *EXTRAS)
NATIVE_SLOTS: Final = 16  # the size of the weight table shared with _icount.h
NATIVE_WEIGHT_LIMIT: Final = 1 << 32  # _icount.h keeps an instruction's units in 32 bits
NATIVE_UNIT_LIMIT: Final = 1 << 64  # and the units of a cycle (the time unit) in 64

A7_SOURCE: Final = (
    "gem5 configs/common/cores/arm/ex5_LITTLE.py (Minor core, 'ex5 LITTLE core (based on the ARM "
    "Cortex-A7)'): IntAlu opLat 4, IntMult 7, IntDiv 9, MemRead 1, MemWrite 1, IprAccess 1; "
    "L1D data_latency 2"
)
A15_SOURCE: Final = (
    "gem5 configs/common/cores/arm/O3_ARM_v7a.py (O3_ARM_v7a_3, out-of-order ARMv7-A): IntAlu "
    "opLat 1, IntMult 3, IntDiv 12 (not pipelined), MemRead 2, MemWrite 2, IprAccess 3, "
    "trapLatency 13; O3_ARM_v7a_DCache data_latency 2"
)
RULE: Final = (
    "multiply/divide: 1 + (opLat - IntAlu opLat), the stall of a dependent next instruction; "
    "load: MemRead opLat + L1D data_latency (an L1 hit); store: MemWrite opLat (posted); "
    "system: IprAccess opLat"
)


@dataclass(frozen=True)
class DeviceCost:
    """Cycles an access to a device window costs on top of the instruction that made it."""

    read: int
    write: int


# GIC registers: an uncached read over the interconnect, a posted write (the cost table prices
# the hypervisor's own GIC accesses the same way). UART and timers sit on the slower APB.
DEVICE_CYCLES: Final[Mapping[str, DeviceCost]] = MappingProxyType(
    {
        "gic": DeviceCost(read=100, write=25),
        "pl011": DeviceCost(read=150, write=40),
        "sp804": DeviceCost(read=150, write=40),
    }
)


@dataclass(frozen=True)
class TimingProfile:
    """Cycles per instruction class (scaled by ``cpi``) and per device access."""

    name: str
    weights: Mapping[str, Fraction]
    cpi: Fraction = Fraction(1)
    devices: Mapping[str, DeviceCost] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if set(self.weights) != set(WEIGHT_NAMES):
            raise TimingError(f"profile {self.name}: weights must name exactly {WEIGHT_NAMES}")
        for key, value in (*self.weights.items(), ("cpi", self.cpi)):
            if value < 0 or (key not in EXTRAS and value == 0):
                raise TimingError(f"{key}: must be a positive number of cycles, got {value}")
        if self.units_per_cycle >= NATIVE_UNIT_LIMIT:
            raise TimingError(
                f"profile {self.name}: the weights' common denominator, {self.units_per_cycle}, "
                "does not fit the instruction counter's 64 bits (fewer decimals, a simpler cpi)"
            )
        heaviest = max(self.unit_weights())
        if heaviest >= NATIVE_WEIGHT_LIMIT:
            raise TimingError(
                f"profile {self.name}: an instruction of {heaviest} units (of 1/"
                f"{self.units_per_cycle} cycle) does not fit the instruction counter's 32 bits "
                "(a smaller cpi)"
            )

    @property
    def units_per_cycle(self) -> int:
        """The time unit: the least common denominator of every scaled weight."""
        return math.lcm(*(w.denominator for w in self.scaled().values()))

    def scaled(self) -> dict[str, Fraction]:
        """Each weight times ``cpi``, in cycles."""
        return {name: self.weights[name] * self.cpi for name in WEIGHT_NAMES}

    def unit_weights(self) -> tuple[int, ...]:
        """The native weight table: units per class, then units per extra register."""
        q = self.units_per_cycle
        units = [int(w * q) for w in self.scaled().values()]
        return tuple(units + [0] * (NATIVE_SLOTS - len(units)))

    @property
    def uniform(self) -> bool:
        """True when every instruction costs the same: no need to look at the code."""
        weights = self.scaled()
        if any(weights[name] for name in EXTRAS):
            return False
        return len({weights[name] for name in CLASS_NAMES}) == 1

    @property
    def native_mode(self) -> int:
        """The counter's mode: 0 uniform, 1 weighed by class, 2 also uncached data accesses."""
        if self.uniform:
            return 0
        return 2 if self.weights[UNCACHED_LOAD] or self.weights[UNCACHED_STORE] else 1

    def device_cost(self, window: str, kind: str) -> DeviceCost:
        """What an access to ``window`` (a device of ``kind``) costs; named windows first."""
        return self.devices.get(window) or self.devices.get(kind) or DeviceCost(0, 0)

    def with_overrides(
        self, cpi: object = None, weights: Mapping[str, object] = {}
    ) -> TimingProfile:
        """A copy with ``cpi`` and some weights replaced; unknown names are errors."""
        changed = dict(self.weights)
        for key, value in weights.items():
            if key not in WEIGHT_NAMES:
                raise TimingError(f"{key}: unknown weight; known: {', '.join(WEIGHT_NAMES)}")
            changed[key] = cycles(value, key)
        new_cpi = self.cpi if cpi is None else cycles(cpi, "cpi")
        return replace(self, weights=MappingProxyType(changed), cpi=new_cpi)


def cycles(value: object, what: str) -> Fraction:
    """A cycle count from a config value: an int, a float with few decimals, or "3/2"."""
    if isinstance(value, bool):
        raise TimingError(f"{what}: must be a number of cycles, not {value!r}")
    try:
        if isinstance(value, float):
            number = Fraction(value).limit_denominator(1000)
        elif isinstance(value, (int, str, Fraction)):
            number = Fraction(value)
        else:
            raise TypeError
    except (TypeError, ValueError, ZeroDivisionError):
        raise TimingError(f"{what}: must be a number of cycles, not {value!r}") from None
    if number < 0:
        raise TimingError(f"{what}: must not be negative, got {value!r}")
    return number


def _weights(**values: int | Fraction) -> Mapping[str, Fraction]:
    return MappingProxyType({name: Fraction(values[name]) for name in WEIGHT_NAMES})


INSTRUCTION_COUNT: Final = TimingProfile(
    "instruction-count",
    _weights(
        other=1,
        load=1,
        store=1,
        load_multiple=1,
        store_multiple=1,
        multiply=1,
        divide=1,
        system=1,
        barrier=1,
        exception=1,
        per_register=0,
        uncached_load=0,
        uncached_store=0,
    ),
)

CORTEX_A7: Final = TimingProfile(
    "cortex-a7",
    _weights(
        other=1,
        load=1 + 2,  # MemRead 1 + L1D data_latency 2
        store=1,  # MemWrite 1
        load_multiple=1 + 2,  # as a load, then one more register per cycle
        store_multiple=1,
        multiply=1 + (7 - 4),  # IntMult 7 - IntAlu 4
        divide=1 + (9 - 4),  # IntDiv 9 - IntAlu 4
        system=1,  # IprAccess 1
        barrier=8,  # estimate: the A7's 8-stage pipeline drained
        exception=8,  # estimate: the same drain (ex5_LITTLE gives no trap latency)
        per_register=1,  # estimate: one register per cycle
        uncached_load=100,  # estimate: a DRAM read, about 100 ns, at 1 GHz
        uncached_store=50,  # estimate: a Strongly-ordered write waits for its completion
    ),
    devices=DEVICE_CYCLES,
)

CORTEX_A15: Final = TimingProfile(
    "cortex-a15",
    _weights(
        other=1,
        load=2 + 2,  # MemRead 2 + DCache data_latency 2
        store=2,  # MemWrite 2
        load_multiple=2 + 2,
        store_multiple=2,
        multiply=1 + (3 - 1),  # IntMult 3 - IntAlu 1
        divide=1 + (12 - 1),  # IntDiv 12 - IntAlu 1
        system=3,  # IprAccess 3
        barrier=13,  # estimate: drained like a trap (trapLatency 13)
        exception=13,  # trapLatency 13
        per_register=1,  # estimate: one register per cycle
        uncached_load=100,  # estimate: a DRAM read, about 100 ns, at 1 GHz
        uncached_store=50,  # estimate: a Strongly-ordered write waits for its completion
    ),
    devices=DEVICE_CYCLES,
)

PROFILES: Final[Mapping[str, TimingProfile]] = MappingProxyType(
    {p.name: p for p in (INSTRUCTION_COUNT, CORTEX_A7, CORTEX_A15)}
)
DEFAULT_PROFILE: Final = INSTRUCTION_COUNT.name

WEIGHT_SOURCES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "cortex-a7": f"{A7_SOURCE}. Rule: {RULE}. Estimates: barrier, exception, per_register, "
        "uncached_load, uncached_store.",
        "cortex-a15": f"{A15_SOURCE}. Rule: {RULE}. Estimates: barrier, per_register, "
        "uncached_load, uncached_store.",
        "instruction-count": "every instruction one cycle times cpi (QEMU -icount, Renode)",
    }
)


def profile(name: str, cpi: object = None, weights: Mapping[str, object] = {}) -> TimingProfile:
    """A shipped profile by name, with optional overrides; unknown names are errors."""
    base = PROFILES.get(name)
    if base is None:
        raise TimingError(f"unknown timing profile {name!r}; known: {', '.join(PROFILES)}")
    return base.with_overrides(cpi, weights)


# -- classifying A32 instructions (the native counter in _icount_units.c does the same) -------


def classify_arm(word: int) -> tuple[InsnClass, int]:
    """The class of one A32 instruction and, for LDM/STM, its register count."""
    cond = word >> 28
    op = (word >> 25) & 7
    if cond == 0xF:
        if (word & 0xFFFFFF00) == 0xF57FF000 and (word >> 4) & 0xF in (4, 5, 6):
            return InsnClass.BARRIER, 0
        if op == 4 and word & (1 << 20) and not word & (1 << 22):
            return InsnClass.EXCEPTION, 0  # RFE
        if op == 4:
            return InsnClass.STORE, 0  # SRS
        return InsnClass.OTHER, 0
    if op == 0:
        low = (word >> 4) & 0xF
        if (word & 0x0FF000F0) in (0x01400070, 0x01600070) or (word & 0x0FFFFFFF) == 0x0160006E:
            return InsnClass.EXCEPTION, 0  # HVC, SMC, ERET
        if low == 9 and (word >> 24) & 0xF == 0:
            return InsnClass.MULTIPLY, 0  # MUL, MLA, UMAAL, MLS, UMULL...
        if low == 9 and (word >> 23) & 0x1F == 0b00010:
            return InsnClass.LOAD, 0  # SWP, SWPB
        if low == 9 and (word >> 23) & 0x1F == 0b00011:
            return (InsnClass.LOAD if word & (1 << 20) else InsnClass.STORE), 0  # LDREX/STREX
        if low & 0b1001 == 0b1001 and low != 9:
            if not word & (1 << 20) and (low >> 1) & 3 == 2:
                return InsnClass.LOAD, 0  # LDRD
            return (InsnClass.LOAD if word & (1 << 20) else InsnClass.STORE), 0
        if (word >> 23) & 0x1F == 0b00010 and not word & (1 << 20) and low & 0b1001 == 0b1000:
            return InsnClass.MULTIPLY, 0  # SMLAxy, SMULWy, SMLALxy, SMULxy
    if op in (0, 1) and not (op == 0 and (word >> 23) & 3 == 2 and not word & (1 << 20)):
        if word & (1 << 20) and (word >> 12) & 0xF == 15:
            return InsnClass.EXCEPTION, 0  # SUBS PC, LR / MOVS PC, LR
        return InsnClass.OTHER, 0
    if op == 3 and word & 0x10:
        if (word & 0x0FD000F0) == 0x07100010:
            return InsnClass.DIVIDE, 0  # SDIV, UDIV
        return InsnClass.OTHER, 0
    if op in (2, 3):
        return (InsnClass.LOAD if word & (1 << 20) else InsnClass.STORE), 0
    if op == 4:
        registers = bin(word & 0xFFFF).count("1")
        if word & (1 << 20):
            if word & (1 << 22) and word & (1 << 15):
                return InsnClass.EXCEPTION, 0  # LDM ^ with the PC: exception return
            return InsnClass.LOAD_MULTIPLE, registers
        return InsnClass.STORE_MULTIPLE, registers
    if op == 6:
        if (word >> 21) & 0x7F == 0b1100010 and (word >> 9) & 7 == 7:
            return InsnClass.SYSTEM, 0  # MCRR, MRRC to CP14/CP15
        return (InsnClass.LOAD if word & (1 << 20) else InsnClass.STORE), 0  # LDC, STC
    if op == 7:
        if word & (1 << 24):
            return InsnClass.EXCEPTION, 0  # SVC
        if word & 0x10 and (word >> 9) & 7 == 7:
            return InsnClass.SYSTEM, 0  # MRC, MCR to CP14/CP15
    return InsnClass.OTHER, 0


_LOADS: Final = {InsnClass.LOAD: 1, InsnClass.LOAD_MULTIPLE: 0}
_STORES: Final = {InsnClass.STORE: 1, InsnClass.STORE_MULTIPLE: 0}


def arm_units(code: bytes, weights: tuple[int, ...], uncached: bool = False) -> int:
    """Units of a run of A32 instructions under a native weight table; ``uncached`` adds the
    uncached extra for every register loaded or stored."""
    per_register, load_extra, store_extra = weights[len(InsnClass) : len(InsnClass) + 3]
    total = 0
    for offset in range(0, len(code) - 3, 4):
        cls, registers = classify_arm(int.from_bytes(code[offset : offset + 4], "little"))
        total += weights[cls]
        if registers > 1:
            total += (registers - 1) * per_register
        if uncached and cls in _LOADS:
            total += (_LOADS[cls] or registers) * load_extra
        if uncached and cls in _STORES:
            total += (_STORES[cls] or registers) * store_extra
    return total
