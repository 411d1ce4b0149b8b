"""The seam between the board and PL2 software: what the hardware hands to Hyp mode."""

from __future__ import annotations

from typing import Protocol

from rthv.board.cpu_exit import CpuExit


class Pl2Software(Protocol):
    """Software running at PL2. The board calls it as the CPU would enter Hyp mode.

    With PL2 software installed, physical IRQs go to it (HCR.IMO), guests see the virtual CPU
    interface's interrupt line instead, and the traps below are its to handle.
    """

    def physical_irq(self) -> None:
        """A physical interrupt is signalled to the CPU (taken regardless of the guest's CPSR.I)."""
        ...

    def trap(self, exit: CpuExit) -> None:
        """HVC, WFI, or an abort with no mapping or right below the guest (Stage-2)."""
        ...

    def serve_in_place(self, exit: CpuExit) -> bool:
        """A trapped access of the running guest, handled as ``trap`` would, inside the run
        slice (the guest goes on after it); False, with nothing done, to have it trap."""
        ...

    def lockup(self, exit: CpuExit, reason: str) -> None:
        """The running guest takes exception after exception and can never progress."""
        ...

    def internal_error(self, error: Exception) -> None:
        """Running or serving the current guest raised ``error``: a bug, not the guest's doing."""
        ...
