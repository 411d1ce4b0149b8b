"""The list-register side of a VM's virtual GIC: delivering its interrupts through the GICH.

``VgicListRegisters`` works on the VM's interrupt states (``VgicInterruptStates``, with the state
model) and alone owns the GICH its vCPU is loaded in and which LR holds which interrupt. The
hypervisor calls it directly for the GICH work (flush, a physical IRQ's short way, maintenance,
world switch); the facade (``VirtualGic``) calls its steps on one listed interrupt (``lr_state``,
``activate``, ``withdraw``, ``recall``) when the guest changes that interrupt through its GICD.

``save_from`` folds every LR back into the ``VirqState`` states, so a switched out VM has all its
state there; ``restore_to`` re-lists active interrupts first, then pending ones. The vGIC owns
the whole ``GicHypState`` of its vCPU: HCR (EOICount kept, En forced on, UIE managed), VMCR and
APR are saved and restored verbatim; list registers are not restored verbatim but rebuilt from
the folded state (positions may change).

Refill policy when more interrupts want an LR than there are free LRs: a pending interrupt of
higher priority evicts the lowest-priority purely pending LR; what is left queued sets HCR.UIE
(underflow maintenance, not with a single LR where it would fire at once) and the EOI bit of
every HW=0 LR, so each virtual EOI of one of them raises a maintenance interrupt and the slot
is refilled at once; without overflow both are cleared again. NPIE is never used: with every LR
holding an active interrupt it would fire continuously while nothing can be refilled.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from rthv.board.gic import regs
from rthv.board.gic.hyp_interface import GicHypInterface
from rthv.board.gic.list_register import (
    STATE_BITS,
    LrState,
    lr_state,
    lr_with_state,
    make_list_register,
)
from rthv.hv.vgic_interrupt_states import VgicInterruptStates
from rthv.hv.vgic_registers import VirqState

PARKED_HCR: Final = 0  # GICH_HCR while no vCPU is loaded: virtual interface off, no maintenance


class VgicListRegisters:
    """The list registers of the GICH that deliver a VM's interrupts (``states``)."""

    def __init__(self, states: VgicInterruptStates) -> None:
        self.states = states
        # (the states' containers, never rebound, at hand on the hot paths)
        self._irqs, self._queued, self._levels = states.irqs, states.queued, states.levels
        self._gich: GicHypInterface | None = None  # the GICH holding this vCPU, while loaded
        self._listed: dict[int, int] = {}  # irq -> list register index, while loaded
        self.listed: Mapping[int, int] = self._listed  # (the same, for reading only)
        self.maintenance_count = 0

    @property
    def loaded(self) -> bool:
        """Whether this vCPU's interface state is in a GICH right now."""
        return self._gich is not None

    # ---------------------------------------------------------------- one listed interrupt

    def lr_state(self, irq: int) -> int:
        """The state (``LrState``) of the LR holding ``irq``; INVALID if none holds it."""
        index = self._listed.get(irq)
        if index is None:
            return LrState.INVALID
        return lr_state(self._loaded_gich().list_register(index))

    def activate(self, irq: int) -> bool:
        """Make the LR holding ``irq`` active too (a HW=1 LR stays as it is: the physical
        interrupt is active already); False, with nothing changed, if no LR holds it."""
        index = self._listed.get(irq)
        if index is None:
            return False
        value = self._loaded_gich().list_register(index)
        if not value & regs.LR_HW:
            self._set_lr_state(irq, lr_state(value) | LrState.ACTIVE)
        return True

    def withdraw(self, irq: int, part: int) -> bool:
        """Clear the pending or active ``part`` (``LrState.PENDING`` or ``ACTIVE``) of the LR
        holding ``irq``; whether it had it."""
        held = self.lr_state(irq)
        if not held & part:
            return False
        self._set_lr_state(irq, held & ~part)
        return True

    def recall(self, irq: int) -> None:
        """Take the pending part of ``irq`` out of its LR back into the queue."""
        held = self.lr_state(irq)
        if held & LrState.PENDING:
            self.states.queue(self._irqs[irq], pending=True)
            self._set_lr_state(irq, held & ~LrState.PENDING)

    def any_deliverable(self) -> bool:
        """Whether a listed interrupt is deliverable (its LR pending, or empty with the
        interrupt pending and not active outside it), the distributor assumed enabled."""
        if not self._listed:
            return False
        gich, irqs = self._loaded_gich(), self._irqs
        for irq, index in self._listed.items():
            state = irqs[irq]
            if state.enabled:
                held = lr_state(gich.list_register(index))
                if held == LrState.PENDING or (
                    held == LrState.INVALID and state.pending and not state.active
                ):
                    return True
        return False

    def _loaded_gich(self) -> GicHypInterface:
        if self._gich is None:
            raise RuntimeError(f"{self.states.vm_name}: vGIC is not loaded")
        return self._gich

    def _set_lr_state(self, irq: int, state: int) -> None:
        """Change the state of the LR holding ``irq``; an emptied LR is freed."""
        gich, index = self._loaded_gich(), self._listed[irq]
        if state == LrState.INVALID:
            gich.set_list_register(index, 0)
            del self._listed[irq]
        else:
            gich.set_list_register(index, lr_with_state(gich.list_register(index), state))

    def _load(self, gich: GicHypInterface, *, handed_over: bool = False) -> None:
        """Load the saved HCR (En forced on), VMCR and APR into ``gich``, which holds us now;
        it must hold no other vCPU's interrupts, unless ``handed_over`` (the load empties
        the outgoing vCPU's LRs: ``hand_over``)."""
        if not handed_over and gich.holds_interrupts():
            name = self.states.vm_name
            raise RuntimeError(f"{name}: GICH still holds another vCPU's interrupts")
        states = self.states
        gich.load(states.hcr | regs.HCR_EN, states.vmcr, states.apr)
        self._gich = gich

    # ---------------------------------------------------------------- the GICH work

    def flush_to(self, gich: GicHypInterface) -> int:
        """Retire finished LRs and fill free ones, highest priority first; returns injections.

        Loads this vCPU's state into ``gich`` first if it is not there (as ``restore_to``).
        One interrupt alone to list takes a short way (``_list_alone``).
        """
        if self._gich is None:
            self._load(gich)
        elif self._gich is not gich:
            raise RuntimeError(f"{self.states.vm_name}: vGIC is loaded in another GICH")
        if len(self._queued) == 1:
            injected = self._list_alone(gich)
            if injected is not None:
                return injected
        with gich.batch():  # the lines move once, when the list registers are complete
            self._retire(gich)
            return self._fill(gich)

    def _list_alone(self, gich: GicHypInterface) -> int | None:
        """The flush when the one queued interrupt is pending, enabled and not active, in one
        GICH step; returns the injections (1), or None, with nothing changed, when the case
        differs (then the general flush runs).

        The case: no LR holds that interrupt but a finished one, no level source is among the
        finished LRs (none to sample again), and the maintenance requests stand as a flush
        without overflow leaves them. ``_retire`` and ``_fill`` would then empty the finished
        LRs and list the interrupt alone in the lowest free LR (with the EOI bit that
        ``_request_maintenance`` gives a level source's HW=0 LR), changing nothing else
        (nothing else is pending outside an LR: nothing to merge, sort, evict or keep queued),
        which is what ``GicHypInterface.retire_and_place`` does.
        """
        (irq,) = self._queued
        return self._place_alone(gich, irq, self._irqs[irq])

    def _place_alone(self, gich: GicHypInterface, irq: int, state: VirqState) -> int | None:
        """``_list_alone`` for ``irq`` (``state``), the one interrupt queued or, with nothing
        queued, the one that has just become pending; nothing is queued afterwards."""
        levels = self._levels
        if state.active or not (state.pending and state.enabled and self.states.enabled):
            return None
        if gich.hcr_bits & (regs.HCR_EN | regs.HCR_UIE) != regs.HCR_EN:
            return None
        listed = self._listed
        lrs = gich.lr_values  # (the GICH's own fields, read without its accessors)
        retired = 0  # the LRs ``_retire`` frees
        for other, index in listed.items():
            value = lrs[index]
            if not value & STATE_BITS:
                if other in levels:
                    return None
                retired |= 1 << index
            elif other == irq:
                return None  # ``_fill`` merges with that LR or leaves it queued
            elif not value & regs.LR_HW and bool(value & regs.LR_EOI) != (other in levels):
                return None  # ``_request_maintenance`` would change its EOI bit
        physical_id = irq if state.hardware else None
        eoi = irq in levels  # (a level source is sampled again at its EOI; ignored for HW=1)
        value = make_list_register(irq, state.priority, physical_id=physical_id, eoi=eoi)
        placed = gich.retire_and_place(retired, value)
        if placed is None:
            return None  # every LR is in use
        if retired:  # (as ``_retire``, ``_list`` and the end of ``_fill``)
            for other, at in list(listed.items()):
                if retired >> at & 1:
                    del listed[other]
        listed[irq] = placed
        state.pending = False
        self._queued.clear()
        return 1

    def inject_arrived(self, irq: int, gich: GicHypInterface) -> int | None:
        """``physical_arrived(irq)`` and then ``flush_to(gich)`` for the vCPU loaded in ``gich``,
        when the arrival is simply deliverable (a passthrough ``irq``, enabled in an enabled
        distributor, with nothing else queued and no LR holding it but a finished one: the
        flush then takes its short way); returns the injections, or None, with nothing
        changed, otherwise (take the general way)."""
        state = self._irqs.get(irq)
        if (
            state is None
            or self._gich is not gich
            or self._queued
            or not (state.hardware and state.enabled and self.states.enabled)
        ):
            return None
        held_at = self._listed.get(irq)
        if held_at is not None and gich.list_register(held_at) & STATE_BITS:
            return None  # the previous instance is still in service: not deliverable now
        # physical_arrived (deliverable, as checked above), then ``flush_to(gich)`` with its
        # checks passed (loaded in ``gich``, this interrupt alone to list): its short way
        # first, with the interrupt queued only if the general flush has to run.
        state.pending = True
        injected = self._place_alone(gich, irq, state)
        if injected is not None:
            return injected
        self.states.queue(state, pending=True)
        with gich.batch():
            self._retire(gich)
            return self._fill(gich)

    def maintenance(self, gich: GicHypInterface) -> int:
        """A maintenance IRQ while this VM runs: retire EOIed LRs, refill; returns injections."""
        if self._gich is not gich:
            raise RuntimeError(f"{self.states.vm_name}: maintenance for a vGIC that is not loaded")
        self.maintenance_count += 1
        return self.flush_to(gich)

    def save_from(self, gich: GicHypInterface) -> None:
        """Switch-out: fold every LR back into the VM's state, keep HCR/VMCR/APR, park GICH."""
        self._fold(gich)
        gich.load(PARKED_HCR, regs.VMCR_RESET, 0)  # the one change of the GICH here
        self._gich = None

    def hand_over(self, successor: VgicListRegisters, gich: GicHypInterface) -> int:
        """A world switch from this vCPU to ``successor``'s inside the caller's
        ``gich.batch()``: ``save_from(gich)`` then ``successor.restore_to(gich)``, without
        parking the GICH in between (the successor's load sets every register the park sets
        and empties every LR; no line moves before the batch ends); returns the injections."""
        if successor._gich is not None:
            raise RuntimeError(f"{successor.states.vm_name}: vGIC is already loaded")
        self._fold(gich)
        self._gich = None
        successor._load(gich, handed_over=True)
        return successor.flush_to(gich)

    def _fold(self, gich: GicHypInterface) -> None:
        """Fold every LR back into the VM's state and keep HCR/VMCR/APR (the GICH unchanged).

        A finished LR is retired as ``_retire`` does (a level source still high is pending
        again); the load that follows empties every LR, so none is cleared one by one."""
        if self._gich is not gich:
            raise RuntimeError(f"{self.states.vm_name}: save_from for a vGIC that is not loaded")
        states = self.states
        levels, lrs = self._levels, gich.lr_values  # (the GICH's fields, read directly)
        for irq, index in self._listed.items():
            state, held = self._irqs[irq], lr_state(lrs[index])
            if held == LrState.INVALID:
                if irq in levels and levels[irq]():
                    states.queue(state, pending=True)
                continue
            state.pending |= bool(held & LrState.PENDING)
            state.active |= bool(held & LrState.ACTIVE)
            self._queued.add(irq)
        self._listed.clear()
        states.hcr, states.vmcr, states.apr = (
            gich.hcr_bits & ~regs.HCR_UIE,
            gich.vmcr_bits,
            gich.apr_bits,
        )

    def restore_to(self, gich: GicHypInterface) -> int:
        """Switch-in: load saved HCR/VMCR/APR, re-list active IRQs, flush; returns injections."""
        with gich.batch():
            return self.restore_in_batch(gich)

    def restore_in_batch(self, gich: GicHypInterface) -> int:
        """``restore_to`` inside the caller's ``gich.batch()`` (a world switch's)."""
        if self._gich is not None:
            raise RuntimeError(f"{self.states.vm_name}: vGIC is already loaded")
        self._load(gich)
        return self.flush_to(gich)

    def _retire(self, gich: GicHypInterface) -> None:
        """Free the LRs the guest has deactivated (and any EOI maintenance left in GICH)."""
        for irq, index in list(self._listed.items()):
            if lr_state(gich.list_register(index)) == LrState.INVALID:
                gich.set_list_register(index, 0)
                del self._listed[irq]
                if irq in self._levels and self._levels[irq]():
                    self.states.queue(self._irqs[irq], pending=True)  # level high after EOI
        eisr = gich.eisr
        while eisr:
            index = (eisr & -eisr).bit_length() - 1  # lowest first
            gich.set_list_register(index, 0)
            eisr &= eisr - 1

    def _fill(self, gich: GicHypInterface) -> int:
        listed, enabled, irqs = self._listed, self.states.enabled, self._irqs
        written = 0
        if listed:
            for irq, held_at in sorted(listed.items()):
                written += self._merge(gich, irq, held_at)
        wanting = [
            s
            for s in map(irqs.__getitem__, self._queued)
            if (s.active or (s.pending and s.enabled and enabled)) and s.irq not in listed
        ]  # wants an LR: active, or pending and enabled (runs at every switch and flush)
        queue = sorted(wanting, key=VirqState.order) if len(wanting) > 1 else wanting
        overflow = False
        for state in queue:
            index = gich.free_list_register()
            if index is None:
                index = self._evict_for(gich, state)
                overflow = True  # either the evicted IRQ or this one stays queued
            if index is not None:
                written += self._list(gich, index, state)
        self._request_maintenance(gich, overflow)
        if self._queued:
            self.states.settle()
        return written

    def _merge(self, gich: GicHypInterface, irq: int, index: int) -> int:
        """A new pending instance of an IRQ already in an LR (HW=0): coalesce or pend+active."""
        state = self._irqs[irq]
        if not state.pending or state.hardware:
            return 0  # a passthrough instance waits until its LR is retired
        value = gich.list_register(index)
        if lr_state(value) & LrState.PENDING:
            state.pending = False  # edges coalesce while pending
            return 0
        if not (self.states.enabled and state.enabled):
            return 0
        gich.set_list_register(index, lr_with_state(value, LrState.PENDING_ACTIVE))
        state.pending = False
        return 1

    def _list(self, gich: GicHypInterface, index: int, state: VirqState) -> int:
        """Write ``state`` into LR ``index``; returns 1 if that injected a pending interrupt."""
        pending = state.pending and state.enabled and self.states.enabled
        if not state.active:
            held = LrState.PENDING
        elif pending and not state.hardware:
            held = LrState.PENDING_ACTIVE
        else:
            held = LrState.ACTIVE
        physical_id = state.irq if state.hardware else None
        value = make_list_register(state.irq, state.priority, state=held, physical_id=physical_id)
        gich.set_list_register(index, value)
        self._listed[state.irq] = index
        state.active = False
        if not held & LrState.PENDING:
            return 0
        state.pending = False
        return 1

    def _evict_for(self, gich: GicHypInterface, state: VirqState) -> int | None:
        """Free the LR of the lowest-priority purely pending IRQ if ``state`` outranks it."""
        victims = [
            (self._irqs[irq].order(), irq)
            for irq, index in self._listed.items()
            if lr_state(gich.list_register(index)) == LrState.PENDING
        ]
        if not victims:
            return None
        order, irq = max(victims)
        if not state.active and order <= state.order():
            return None
        index = self._listed[irq]
        self.recall(irq)
        return index

    def _request_maintenance(self, gich: GicHypInterface, overflow: bool) -> None:
        """HCR.En on; with IRQs left queued, ask for underflow and EOI maintenance (else not)."""
        hcr = gich.hcr | regs.HCR_EN
        if overflow and gich.num_list_registers > 1:
            hcr |= regs.HCR_UIE
        else:
            hcr &= ~regs.HCR_UIE
        if hcr != gich.hcr:
            gich.hcr = hcr
        for irq, index in self._listed.items():
            value = gich.list_register(index)
            if value & regs.LR_HW:
                continue
            notify = overflow or irq in self._levels  # a level source is re-sampled at EOI
            wanted = value | regs.LR_EOI if notify else value & ~regs.LR_EOI
            if wanted != value:
                gich.set_list_register(index, wanted)
