"""Type stub for the native instruction counter built from ``_icount.c``."""

def addresses() -> dict[str, int]:
    """Addresses of ``block_hook`` and ``forget_blocks``, and the state's size."""
    ...
