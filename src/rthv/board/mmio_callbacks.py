"""The callbacks through which an engine's accesses to a device window reach the device model.

A plain device is read and written as the access comes. A timed device sees the exact virtual
time of each access: an access whose instruction is neither a timed site executing now nor
re-run alone is abandoned (``CpuCore.defer_access``), and the core re-runs it with an exact PC.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rthv.board.device import MmioDevice
from rthv.board.timed_sites import NO_SITE

if TYPE_CHECKING:
    from rthv.board.cpu import CpuCore

ReadCallback = Callable[[int, int], int]
WriteCallback = Callable[[int, int, int], None]


def device_callbacks(
    core: CpuCore, device: MmioDevice, offset: int, *, timed: bool
) -> tuple[ReadCallback, WriteCallback]:
    """The read and write callbacks of ``device`` from ``offset`` onwards, mapped on ``core``."""
    failed = core.callback_failed

    # Called from C (``engine_calls.mmio_map``): the bindings' ``mmio_map`` wraps each
    # callback in ctypes and two more Python calls per access. An exception is handled as
    # the bindings do: kept, the engine stopped, and raised again when ``run`` returns.
    if not timed:

        def read(at: int, width: int) -> int:
            try:
                return device.read(offset + at, width)
            except BaseException as error:
                failed(error)
                return 0

        def write(at: int, width: int, value: int) -> None:
            try:
                device.write(offset + at, width, value)
            except BaseException as error:
                failed(error)

        return read, write
    sites, limits = core.sites, core.counter.state
    site = sites.state  # ``sites.executing()`` inlined: read at every timed access

    def timed_read(at: int, width: int) -> int:
        try:
            if core.exact_pc is not None:
                return device.read(offset + at, width)
            if site.exact_pc == NO_SITE or site.exact_block != limits.blocks:
                core.defer_access()
                return 0
            before = limits.budget, limits.soft_limit
            value = device.read(offset + at, width)
            if (limits.budget, limits.soft_limit) != before:
                sites.stop_after_access()
            return value
        except BaseException as error:
            failed(error)
            return 0

    def timed_write(at: int, width: int, value: int) -> None:
        try:
            if core.exact_pc is not None:
                device.write(offset + at, width, value)
            elif site.exact_pc == NO_SITE or site.exact_block != limits.blocks:
                core.defer_access()
            else:
                before = limits.budget, limits.soft_limit
                device.write(offset + at, width, value)
                if (limits.budget, limits.soft_limit) != before:
                    sites.stop_after_access()
        except BaseException as error:
            failed(error)

    return timed_read, timed_write
