"""Type stub for the native timed-site hook built from ``_timed_sites.c``."""

def addresses() -> dict[str, int]:
    """Address of ``site_hook``, the state's size and the most sites it holds."""
    ...
