"""Type stub for the native instruction counter built from ``_icount.c``."""

def addresses() -> dict[str, int]:
    """Addresses of the hook, cache, virtual-clock and clock-claiming functions, and the
    state's size."""
    ...
