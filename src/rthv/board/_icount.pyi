"""Type stub for the native instruction counter built from ``_icount.c``."""

def addresses() -> dict[str, int]:
    """Addresses of the hook, cache and virtual-clock functions, and the state's size."""
    ...

def claim_clock(state_address: int, engine_handle: int) -> None:
    """The engine is about to execute guest code counted by the state at ``state_address``:
    its clock reads that state."""
    ...

def release_clock() -> None:
    """No engine executes guest code: the engine's clock is host time again."""
    ...
