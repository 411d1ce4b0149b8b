"""What hypervisor work costs in CPU cycles: the one table charged to virtual time.

Guest instructions are charged by the timing profile (``rthv.board.timing``); everything the
hypervisor does on the guests' behalf is charged from this table instead, because the Python
that emulates it has no meaningful cycle count. Charges compose per event:

- any trap (HVC, WFI, Stage-2 abort, physical IRQ): ``trap_entry_exit``, plus
- an HVC: ``hypercall``; an emulated GICD access: ``gicd_emulation``;
- a physical IRQ taken to PL2: ``irq_entry``; for the GIC maintenance IRQ also ``maintenance``;
- each virtual IRQ written into a GICH list register: ``lr_injection``;
- each change of the running vCPU: ``world_switch``.

Where the defaults come from, and how sure we are of each:

- **Verified against raw data** (``SHEDDING_LIGHT``): the interrupt latency that Bao and
  Jailhouse add over bare metal, and the cost of an emulated GICD_SGIR write. These are
  computed here from the study's published measurement files (``CROSS_CHECKS``), and the
  modelled cost of forwarding one physical IRQ (``trap_entry_exit + irq_entry + lr_injection``)
  is tested to fall between Bao's and Jailhouse's figures.
- **Bottom-up estimates** (``world_switch``, ``lr_injection``, ``maintenance``): the work a
  compact ARMv7 Type-1 hypervisor does, item by item, priced with the device access costs of
  the timing profile (a GIC register read about 100 cycles, a posted write about 25, a CP15
  access about 20 cycles, as ``rthv.board.timing`` charges them); the breakdown is in
  ``SOURCES``. The published figures they replace (Xen's 8,799-cycle VM switch on an ARMv8
  server; KVM's 3,250-cycle VGIC save) are kept below as upper bounds: they include 32 128-bit
  FP/SIMD registers, AArch64 EL1 state, a full scheduler and a slow GIC.
- **Published, unverified** (``trap_entry_exit``, ``hypercall``, ``gicd_emulation``,
  ``irq_entry``, and the upper bounds): transcribed from [ASPLOS14] and [ISCA16] as their
  tables are known to the author of this module. The stored copies of both papers reachable
  while this table was written exposed only their opening text, so none of these numbers nor
  their table numbers could be checked: check them against the PDFs before publishing results
  that depend on them.

[ASPLOS14] Christoffer Dall, Jason Nieh. "KVM/ARM: The Design and Implementation of the Linux
ARM Hypervisor". ASPLOS 2014; its table of micro-architectural cycle counts (ARM column,
Cortex-A15 on an Arndale board).
[ISCA16] Christoffer Dall, Shih-Wei Li, Jin Tack Lim, Jason Nieh, Georgios Koloventzos. "ARM
Virtualization: Performance and Architectural Implications". ISCA 2016; Table II
(microbenchmark measurements, cycle counts; AppliedMicro X-Gene, ARMv8) and Table III (KVM ARM
hypercall analysis).
[RTAS23] José Martins, Sandro Pinto. "Shedding Light on Static Partitioning Hypervisors for
Arm-based Mixed-Criticality Systems". RTAS 2023. Hardware: Xilinx Zynq UltraScale+ ZCU104,
Cortex-A53 at 1.2 GHz, GIC-400 (GICv2). Raw data: repository
ESRGv3/shedding-light-static-partitioning-hypervisors, commit 3e2f006 ("initial commit"),
files experiments/irqlat/irqlat-base/<hypervisor>+solo (interrupt latency, no interference)
and experiments/irqlat/ipi/<hypervisor> (column trap-lat: the guest's write to GICD_SGIR).
Each file holds four runs of 50 samples in ticks of the 100 MHz system counter (the study's
own plot scripts multiply by 10 to get ns). The figures below are the means of all 200
samples, converted to cycles at 1.2 GHz; the core clock is confirmed by the files' own
``cycles`` column, about 12,000,500 cycles per 10 ms timer period.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

ASPLOS14 = (
    'Dall & Nieh, "KVM/ARM: The Design and Implementation of the Linux ARM Hypervisor", '
    "ASPLOS 2014, micro-architectural cycle counts, ARM (Cortex-A15) column"
)
ISCA16_MICRO = (
    'Dall, Li, Lim, Nieh, Koloventzos, "ARM Virtualization: Performance and Architectural '
    'Implications", ISCA 2016, Table II "Microbenchmark Measurements", ARM Xen column'
)
ISCA16_HYPERCALL = (
    'Dall, Li, Lim, Nieh, Koloventzos, "ARM Virtualization: Performance and Architectural '
    'Implications", ISCA 2016, Table III "KVM ARM Hypercall Analysis"'
)
SHEDDING_LIGHT = (
    'Martins & Pinto, "Shedding Light on Static Partitioning Hypervisors for Arm-based '
    'Mixed-Criticality Systems", RTAS 2023, raw data of its interrupt latency and IPI '
    "experiments (ZCU104, Cortex-A53 at 1.2 GHz, GIC-400)"
)
BOTTOM_UP = "bottom-up estimate for a compact ARMv7-A Type-1 hypervisor (this module)"

# Published figures (cycles), named after the benchmark they measured. Unverified (see above).
ASPLOS14_TRAP = 27  # VM -> Hyp mode -> VM, no work done: the hardware mode switch alone
ASPLOS14_EOI_ACK = 427  # a VM acknowledging one virtual IRQ and completing another (VGIC on)
ISCA16_XEN_HYPERCALL = 376  # VM -> hypervisor -> VM doing no work, on Xen ARM
ISCA16_XEN_GIC_TRAP = 1356  # VM -> emulated interrupt distributor -> VM, on Xen ARM
ISCA16_XEN_VM_SWITCH = 8799  # switching from one VM to another on the same core, on Xen ARM
ISCA16_VGIC_SAVE = 3250  # KVM ARM: reading the VGIC state (GICH) of a vCPU
ISCA16_VGIC_RESTORE = 181  # KVM ARM: writing the VGIC state (GICH, incl. list registers)

# The price list of the bottom-up estimates (cycles on a Cortex-A7/A15-class core at 1 GHz).
GIC_READ = 100  # a read of a GIC register: uncached device read over the interconnect
GIC_WRITE = 25  # a posted write to a GIC register
CP15_ACCESS = 20  # an MRC/MCR of a CP15 system register (serialising on these cores)

# world_switch, item by item (each item counts both the save of the old vCPU and the restore
# of the new one).
SWITCH_CORE_REGISTERS = 400  # ~40 general and banked registers (usr/svc/abt/und/irq/fiq, SPSRs)
SWITCH_CP15 = 50 * CP15_ACCESS  # ~25 CP15 registers (SCTLR, TTBRs, TTBCR, DACR, FSRs, FARs,
#                                 PRRR/NMRR, CONTEXTIDR, TPIDRs, VBAR, CSSELR, CPACR...) x 2
SWITCH_VTTBR = 100  # VTTBR write + ISB; no TLB flush, the VMID tags Stage-2 entries
SWITCH_TIMER = 150  # CNTV_CTL, CNTV_CVAL, CNTVOFF saved and restored, ISB
SWITCH_VGIC = 8 * GIC_READ + 8 * GIC_WRITE  # VMCR, APR, ELRSR, HCR and 4 list registers
SWITCH_SCHEDULER = 350  # the scheduling decision and its bookkeeping

# lr_injection: find a free list register (one ELRSR read), write it and GICH_HCR.
LR_FIND_FREE = GIC_READ
LR_WRITE = 2 * GIC_WRITE

# maintenance: read MISR, EISR and ELRSR, rewrite up to 4 list registers and HCR, and the
# software that refills list registers from the vCPU's pending queue.
MAINT_STATUS_READS = 3 * GIC_READ
MAINT_REWRITES = 5 * GIC_WRITE + 75  # the writes and the loop around them
MAINT_SOFTWARE = 500  # walking the pending queue, priority order, bookkeeping


@dataclass(frozen=True)
class CrossCheck:
    """A cost measured on real hardware that the table is checked against."""

    what: str
    hypervisor: str
    mean_ns: float  # mean over the samples
    baseline_ns: float  # the same measurement on bare metal (0 when none applies)
    frequency_hz: int
    source: str

    @property
    def added_cycles(self) -> int:
        """Cycles the hypervisor adds over bare metal, at the core clock of the measurement."""
        return round((self.mean_ns - self.baseline_ns) * self.frequency_hz / 1_000_000_000)


_IRQLAT = "experiments/irqlat/irqlat-base/{}+solo, column irqlat"
_IPI = "experiments/irqlat/ipi/{}, column trap-lat"
_A53_HZ = 1_200_000_000
_BARE_IRQ_NS = 222.2  # baremetal+solo: mean of 200 samples, 22.22 ticks of 10 ns

CROSS_CHECKS: tuple[CrossCheck, ...] = (
    # Interrupt latency added over bare metal (timer IRQ to the guest's handler).
    CrossCheck("IRQ latency", "Bao", 905.85, _BARE_IRQ_NS, _A53_HZ, _IRQLAT.format("bao")),
    CrossCheck(
        "IRQ latency", "Jailhouse", 1094.4, _BARE_IRQ_NS, _A53_HZ, _IRQLAT.format("jailhouse")
    ),
    CrossCheck("IRQ latency", "Xen", 3328.35, _BARE_IRQ_NS, _A53_HZ, _IRQLAT.format("xen")),
    CrossCheck(
        "IRQ latency", "seL4 CAmkES VMM", 9725.65, _BARE_IRQ_NS, _A53_HZ, _IRQLAT.format("sel4")
    ),
    # A guest write to GICD_SGIR, trapped and emulated (bare metal: 30.75 ns, not subtracted:
    # the whole trap is what gicd_emulation models).
    CrossCheck("GICD_SGIR write", "Bao", 1245.6, 0.0, _A53_HZ, _IPI.format("bao")),
    CrossCheck("GICD_SGIR write", "Jailhouse", 1941.15, 0.0, _A53_HZ, _IPI.format("jailhouse")),
    CrossCheck("GICD_SGIR write", "Xen", 2980.4, 0.0, _A53_HZ, _IPI.format("xen")),
)
"""Shedding Light [RTAS23] figures, computed from its raw data (see the module docstring)."""


class CostError(ValueError):
    """An override of the cost table that names no cost or gives a bad value."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


@dataclass(frozen=True)
class CostSource:
    """Where a default cost comes from: the citation, the published figure, the derivation."""

    citation: str
    figure: str
    derivation: str


@dataclass(frozen=True)
class CostTable:
    """Cycles charged to virtual time for each kind of hypervisor work (see module docstring)."""

    trap_entry_exit: int = ASPLOS14_TRAP
    hypercall: int = ISCA16_XEN_HYPERCALL - ASPLOS14_TRAP
    gicd_emulation: int = ISCA16_XEN_GIC_TRAP - ASPLOS14_TRAP
    lr_injection: int = LR_FIND_FREE + LR_WRITE
    world_switch: int = (
        SWITCH_CORE_REGISTERS
        + SWITCH_CP15
        + SWITCH_VTTBR
        + SWITCH_TIMER
        + SWITCH_VGIC
        + SWITCH_SCHEDULER
    )
    maintenance: int = MAINT_STATUS_READS + MAINT_REWRITES + MAINT_SOFTWARE
    irq_entry: int = (ISCA16_XEN_HYPERCALL - ASPLOS14_TRAP) + ASPLOS14_EOI_ACK

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise CostError(field.name, f"must be a whole number of cycles, not {value!r}")
            if value < 0:
                raise CostError(field.name, f"must not be negative, got {value}")

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The cost names, in table order."""
        return tuple(field.name for field in dataclasses.fields(cls))

    def with_overrides(self, overrides: Mapping[str, object]) -> CostTable:
        """A copy with some costs replaced; unknown names and negative values are errors."""
        known = self.names()
        for key in overrides:
            if key not in known:
                raise CostError(key, f"unknown cost; known costs: {', '.join(known)}")
        changes: dict[str, Any] = dict(overrides)
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, int]:
        """Every cost by name."""
        return {name: int(getattr(self, name)) for name in self.names()}


SOURCES: Mapping[str, CostSource] = MappingProxyType(
    {
        "trap_entry_exit": CostSource(
            ASPLOS14,
            f"Trap = {ASPLOS14_TRAP} cycles: VM to Hyp mode and back, no work done",
            "used as published: the hardware exception entry to PL2 and the ERET back",
        ),
        "hypercall": CostSource(
            ISCA16_MICRO,
            f"Hypercall = {ISCA16_XEN_HYPERCALL} cycles: VM to Xen and back, no work done",
            f"{ISCA16_XEN_HYPERCALL} - {ASPLOS14_TRAP}: the hypercall less the bare trap, i.e. a "
            "Type-1's software path of an HVC (save/restore registers, decode, dispatch)",
        ),
        "gicd_emulation": CostSource(
            ISCA16_MICRO,
            f"Interrupt Controller Trap = {ISCA16_XEN_GIC_TRAP} cycles: VM access to the "
            "emulated distributor and back",
            f"{ISCA16_XEN_GIC_TRAP} - {ASPLOS14_TRAP}: the distributor trap less the bare trap, "
            "i.e. Stage-2 abort decode and vGIC distributor emulation",
        ),
        "lr_injection": CostSource(
            BOTTOM_UP,
            f"upper bound: VGIC registers restore = {ISCA16_VGIC_RESTORE} cycles "
            "[ISCA16 Table III]",
            f"{LR_FIND_FREE} + {LR_WRITE}: one GICH_ELRSR read to find a free list register "
            f"({GIC_READ}), then the list register and GICH_HCR written ({GIC_WRITE} each)",
        ),
        "world_switch": CostSource(
            BOTTOM_UP,
            f"upper bound: VM Switch = {ISCA16_XEN_VM_SWITCH} cycles, Xen on an ARMv8 server "
            "[ISCA16 Table II], incl. FP/SIMD and AArch64 EL1 state",
            f"{SWITCH_CORE_REGISTERS} + {SWITCH_CP15} + {SWITCH_VTTBR} + {SWITCH_TIMER} + "
            f"{SWITCH_VGIC} + {SWITCH_SCHEDULER}: "
            "~40 general and banked registers saved and restored; "
            f"~25 CP15 registers read and written (50 x {CP15_ACCESS}); VTTBR and ISB (the VMID "
            "spares a TLB flush); the virtual timer (CNTV_CTL, CNTV_CVAL, CNTVOFF); the vGIC "
            f"(VMCR, APR, ELRSR, HCR, 4 list registers: 8 reads x {GIC_READ} + 8 writes x "
            f"{GIC_WRITE}); the scheduler's decision",
        ),
        "maintenance": CostSource(
            BOTTOM_UP,
            f"upper bound: VGIC registers save + restore = {ISCA16_VGIC_SAVE} + "
            f"{ISCA16_VGIC_RESTORE} cycles, KVM on a slow GIC [ISCA16 Table III]",
            f"{MAINT_STATUS_READS} + {MAINT_REWRITES} + {MAINT_SOFTWARE}: GICH_MISR, EISR and "
            f"ELRSR read (3 x {GIC_READ}); up to 4 list registers and HCR rewritten (5 x "
            f"{GIC_WRITE} + 75 for the loop); refilling from the pending queue; charged on top "
            "of irq_entry",
        ),
        "irq_entry": CostSource(
            f"{ISCA16_MICRO}; {ASPLOS14}",
            f"Xen Hypercall = {ISCA16_XEN_HYPERCALL}, Trap = {ASPLOS14_TRAP}, "
            f"EOI+ACK = {ASPLOS14_EOI_ACK} cycles",
            f"({ISCA16_XEN_HYPERCALL} - {ASPLOS14_TRAP}) + {ASPLOS14_EOI_ACK}: the software "
            "path of a trap plus acknowledging and completing the IRQ at the GIC CPU interface",
        ),
    }
)
