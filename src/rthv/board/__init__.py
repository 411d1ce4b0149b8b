"""The emulated ARMv7-A board: CPU over Unicorn, device models, exact virtual time.

This layer knows nothing of virtual machines; it never imports ``rthv.hv`` or ``rthv.tools``.
"""
