"""rthv: a compact real-time Type-1 hypervisor for ARMv7-A, on an emulated board."""

__version__ = "0.1.0"
__all__ = ["__version__"]
