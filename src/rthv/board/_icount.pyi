"""Type stub for the native instruction counter built from ``_icount.c`` and the sources
``_icount.h`` lists."""

def addresses() -> dict[str, int]:
    """Addresses of the hook, cache, virtual-clock and clock-claiming functions, the inline
    counting's layout and block cost, the A32 classifier (for the tests), and the state's
    size."""
    ...
