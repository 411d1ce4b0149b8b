"""Type stub for the engine's C API calls built from ``_engine_calls.c``."""

from collections.abc import Callable
from typing import Any

class Hook:
    """A trap hook or MMIO callback of one engine, calling a Python callable from C; the engine
    keeps a pointer to it, so its ``uc`` keeps it (``uc._rthv_hooks``) as long as the engine."""

def bind(
    functions: dict[str, int], cp_reg: int, pc: int, cpsr: int, remove_cache: int, error: type
) -> None:
    """Use the engine functions at these addresses; ``error`` is raised with their status."""
    ...

def bind_clock(claim: int, release: int) -> None:
    """The native counter's functions that ``run`` claims and releases the engine's clock with."""
    ...

def reg_read(handle: int, regid: int) -> int:
    """One 32-bit register's value."""
    ...

def reg_write(handle: int, regid: int, value: int) -> None:
    """Write one 32-bit register (``value & 0xFFFFFFFF``)."""
    ...

def read_batch(handle: int, regids: tuple[int, ...]) -> tuple[int, ...]:
    """Registers' values in one call of the engine, in order (at most eight)."""
    ...

def write_batch(handle: int, regids: tuple[int, ...], *values: int) -> None:
    """Write registers in one call of the engine, in order (one value per id)."""
    ...

def cp15_read(handle: int, crn: int, crm: int, opc1: int, opc2: int, name: str) -> int:
    """A 32-bit CP15 register's value (non-secure bank); ``name`` goes into an error."""
    ...

def cp15_write(
    handle: int, crn: int, crm: int, opc1: int, opc2: int, value: int, name: str
) -> None:
    """Write a 32-bit CP15 register (non-secure bank); ``name`` goes into an error."""
    ...

def run(uc: Any, handle: int, until: int, clock: int) -> tuple[int, int]:
    """Run the engine, without the GIL, from the current PC (in the state CPSR.T selects) to
    ``until``, its clock reading the counter state at address ``clock`` meanwhile (0: none); PC
    and CPSR where it stopped. Raises what a callback kept in ``uc._hook_exception`` (before the
    engine's error status, which that exception may have caused)."""
    ...

def emu_stop(handle: int) -> None:
    """Stop the engine (from a callback or from another thread)."""
    ...

def remove_cache(handle: int, begin: int, end: int) -> None:
    """Drop the translations of [begin, end)."""
    ...

def fetch_code(handle: int, address: int, size: int) -> bytes | None:
    """Code bytes at virtual ``address`` through the guest's MMU, as an instruction fetch reads
    them; None if they are not all translated and mapped."""
    ...

def mmio_map(
    uc: Any,
    handle: int,
    address: int,
    size: int,
    read: Callable[[int, int], int],
    write: Callable[[int, int, int], None],
) -> tuple[Hook, Hook]:
    """Route accesses in [address, address + size) to ``read(offset, size)`` and
    ``write(offset, size, value)``; ``uc`` keeps the two hooks returned."""
    ...

def add_hook(uc: Any, handle: int, hook_type: int, callback: Callable[..., Any]) -> Hook:
    """Register a UC_HOOK_INTR (``callback(intno)``) or UC_HOOK_INSN_INVALID
    (``callback() -> bool``) hook; ``uc`` keeps the ``Hook`` returned."""
    ...
