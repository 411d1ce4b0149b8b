"""A VM's virtual interrupt states while they wait for (or sit in) a list register.

State model: a ``VirqState`` holds what is not in a list register; while the VM is loaded the LRs
it has written (``_listed``) are authoritative for the pending/active state they carry. At most
one LR per interrupt. ``VgicInterruptStates`` keeps those states, the queue of interrupts that
may be pending or active outside an LR, the level-sensitive sources, the saved HCR/VMCR/APR,
and the few LR steps on one interrupt (read, change, recall, drop); ``VgicListRegisters``
(``vgic_list_registers``) builds the flush, refill, maintenance and world switch on it.
"""

from __future__ import annotations

from collections.abc import Callable

from rthv.board.gic import regs
from rthv.board.gic.distributor import GicDistributor
from rthv.board.gic.hyp_interface import GicHypInterface
from rthv.board.gic.list_register import LrState, lr_state, lr_with_state
from rthv.hv.vgic_registers import VirqState


class VgicInterruptStates:
    """A VM's interrupt states, its level sources and its vCPU interface state (HCR, VMCR, APR),
    and the GICH that holds them while the vCPU is loaded."""

    def __init__(self, vm_name: str, physical: GicDistributor) -> None:
        self.vm_name = vm_name
        self.physical = physical
        self._irqs: dict[int, VirqState] = {}  # every interrupt the VM owns, by ID
        # The IDs that may be pending or active outside the list registers: every place that
        # sets ``pending`` or ``active`` adds the ID (``_queue``); ``_fill`` drops the others.
        # So a flush looks at a handful of interrupts, not at every one the VM owns.
        self._queued: set[int] = set()
        self._enabled = False
        self._gich: GicHypInterface | None = None  # the GICH holding this vCPU, while loaded
        self._listed: dict[int, int] = {}  # irq -> list register index, while loaded
        self._levels: dict[int, Callable[[], bool]] = {}  # level-sensitive virtual sources
        self._hcr = regs.HCR_EN
        self._vmcr = regs.VMCR_RESET
        self._apr = 0
        self.maintenance_count = 0

    @property
    def loaded(self) -> bool:
        """Whether this vCPU's interface state is in a GICH right now."""
        return self._gich is not None

    def _deliverable(self, state: VirqState) -> bool:
        if not (self._enabled and state.enabled):
            return False
        in_lr = self._lr_state(state.irq)
        if in_lr == LrState.PENDING:
            return True
        return state.pending and not state.active and in_lr == LrState.INVALID

    def _load(self, gich: GicHypInterface) -> None:
        if gich.holds_interrupts():
            raise RuntimeError(f"{self.vm_name}: GICH still holds another vCPU's interrupts")
        gich.load(self._hcr | regs.HCR_EN, self._vmcr, self._apr)
        self._gich = gich

    def _loaded_gich(self) -> GicHypInterface:
        if self._gich is None:
            raise RuntimeError(f"{self.vm_name}: vGIC is not loaded")
        return self._gich

    def _lr_state(self, irq: int) -> int:
        index = self._listed.get(irq)
        if index is None:
            return LrState.INVALID
        return lr_state(self._loaded_gich().list_register(index))

    def _set_lr_state(self, irq: int, state: int) -> None:
        """Change the state of the LR holding ``irq``; an emptied LR is freed."""
        gich, index = self._loaded_gich(), self._listed[irq]
        if state == LrState.INVALID:
            gich.set_list_register(index, 0)
            del self._listed[irq]
        else:
            gich.set_list_register(index, lr_with_state(gich.list_register(index), state))

    def _recall(self, irq: int) -> None:
        """Take the pending part of ``irq`` out of its LR back into the queue."""
        held = self._lr_state(irq)
        if held & LrState.PENDING:
            self._queue(self._irqs[irq], pending=True)
            self._set_lr_state(irq, held & ~LrState.PENDING)

    def _drop(self, state: VirqState, part: LrState) -> None:
        """Clear the pending or active part of an interrupt; passthrough: deactivate physically."""
        had = state.pending if part == LrState.PENDING else state.active
        if part == LrState.PENDING:
            state.pending = False
        else:
            state.active = False
        held = self._lr_state(state.irq)
        if held & part:
            self._set_lr_state(state.irq, held & ~part)
            had = True
        if had and state.hardware:
            self.physical.deactivate(state.irq)

    def _queue(self, state: VirqState, *, pending: bool = False, active: bool = False) -> None:
        """Make ``state`` pending and/or active outside the list registers (the one way to)."""
        if pending:
            state.pending = True
        if active:
            state.active = True
        self._queued.add(state.irq)

    def set_level_source(self, irq: int, sample: Callable[[], bool]) -> None:
        """Make virtual interrupt ``irq`` level-sensitive: while ``sample()`` stays high after
        the guest's EOI, the interrupt is pending again (an EOI maintenance interrupt tells)."""
        self._levels[irq] = sample

    def resample(self, irq: int) -> bool:
        """Pend a level source whose line is high and that is neither pending nor in service."""
        sample = self._levels.get(irq)
        state = self._irqs[irq]
        if sample is None or state.pending or state.active or irq in self._listed:
            return False
        if sample():
            self._queue(state, pending=True)
        return self._deliverable(state)
