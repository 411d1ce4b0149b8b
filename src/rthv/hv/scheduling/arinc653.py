"""ARINC 653-style time partitioning: a fixed major frame of windows, repeated for ever.

Policy parameters: ``frame``, a list of windows in order, each ``[vm_name, duration_us]`` or a
table ``{vm = "name", duration_us = n}`` (an empty name is an idle window), and optionally
``major_frame_us`` (default: the sum of the windows; a larger value adds an idle window at the
end). The first major frame starts at the first ``schedule()`` (boot); window i of frame k spans
[origin + k * major + offset_i, ... + duration_i). A VM runs only inside its own windows and only
while runnable; otherwise the CPU idles, even if other VMs are runnable. No per-VM parameters;
every VM must own at least one window and every window must name an existing VM (or be idle).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rthv.hv.scheduling.api import SchedulerPolicy, SchedulerServices, VmHandle
from rthv.hv.scheduling.errors import PolicyParameterError, SchedulerStateError
from rthv.hv.scheduling.params import ParamReader, check_integer


@dataclass(frozen=True)
class Window:
    """One window of the major frame: ``vm`` ("" = idle) from ``start_us`` for ``duration_us``."""

    vm: str
    start_us: int
    duration_us: int


@dataclass(frozen=True)
class Arinc653Params:
    """A VM's windows as (start_us, duration_us) offsets in the major frame."""

    windows: tuple[tuple[int, int], ...]


def parse_frame(frame: object) -> list[Window]:
    """Windows from ``[[name, duration_us], ...]`` or ``[{vm, duration_us}, ...]``."""
    if isinstance(frame, str | bytes) or not isinstance(frame, Sequence) or not frame:
        raise PolicyParameterError(
            "arinc653: frame: expected a non-empty list of [vm, duration_us] windows",
            parameter="frame",
        )
    windows: list[Window] = []
    start = 0
    for i, item in enumerate(frame):
        where = f"arinc653: frame[{i}]"
        name: object
        if isinstance(item, Mapping):
            reader = ParamReader(item, where)
            name = reader.string("vm")
            duration = reader.integer("duration_us", minimum=1)
            reader.finish()
        elif isinstance(item, Sequence) and not isinstance(item, str | bytes) and len(item) == 2:
            name = item[0]
            duration = check_integer(item[1], where, "frame", minimum=1)
        else:
            raise PolicyParameterError(
                f"{where}: expected [vm, duration_us], got {item!r}", parameter="frame"
            )
        if not isinstance(name, str):
            raise PolicyParameterError(
                f"{where}: VM name must be a string, got {name!r}", parameter="frame"
            )
        windows.append(Window(name, start, duration))
        start += duration
    return windows


class Arinc653Policy(SchedulerPolicy):
    """Static cyclic schedule: each VM runs only in its fixed windows of a repeating frame."""

    name = "arinc653"

    def __init__(self, *, frame: Sequence[object], major_frame_us: int | None = None) -> None:
        self.windows = parse_frame(frame)
        total = sum(w.duration_us for w in self.windows)
        if major_frame_us is None:
            major_frame_us = total
        where = "arinc653: major_frame_us"
        self.major_frame_us = check_integer(major_frame_us, where, "major_frame_us", minimum=total)
        if self.major_frame_us > total:
            self.windows.append(Window("", total, self.major_frame_us - total))
        self._services: SchedulerServices | None = None
        self._vms: dict[str, VmHandle] = {}
        self._known: set[str] = set()
        self._origin: int | None = None
        self._index = 0
        self._frame_number = 0

    def init(self, services: SchedulerServices) -> None:
        """Keep the services (window timers)."""
        self._services = services

    def allocate(self, vm: VmHandle, params: Mapping[str, object]) -> object:
        """No per-VM parameters; the VM must own a window."""
        ParamReader(params, self.name).finish()
        mine = tuple((w.start_us, w.duration_us) for w in self.windows if w.vm == vm.name)
        if not mine:
            raise PolicyParameterError(
                f"{self.name}: frame: no window for VM '{vm.name}' (it would never run)",
                parameter="frame",
            )
        self._vms[vm.name] = vm
        self._known.add(vm.name)
        return Arinc653Params(mine)

    def enque(self, vm: VmHandle) -> None:
        """Nothing to queue: the window decides; ``schedule`` reads the VM's state."""

    def yield_(self, vm: VmHandle) -> None:
        """Nothing to do: the rest of the window idles."""

    def block(self, vm: VmHandle) -> None:
        """Nothing to do: the VM's window ended."""

    def remove(self, vm: VmHandle) -> None:
        """Its windows become idle time."""
        self._vms.pop(vm.name, None)

    def schedule(self) -> VmHandle | None:
        """The owner of the current window if it is runnable, else None (idle)."""
        if self._origin is None:
            self._begin()
        vm = self._vms.get(self.windows[self._index].vm)
        return vm if vm is not None and vm.runnable else None

    def _begin(self) -> None:
        for i, window in enumerate(self.windows):
            if window.vm and window.vm not in self._known:
                raise PolicyParameterError(
                    f"{self.name}: frame[{i}] names VM '{window.vm}', which does not exist",
                    parameter="frame",
                )
        self._origin = self._require().now()
        self._arm()

    def _arm(self) -> None:
        services = self._require()
        window = self.windows[self._index]
        offset_us = self._frame_number * self.major_frame_us + window.start_us + window.duration_us
        assert self._origin is not None
        end = self._origin + services.cycles(offset_us * 1000)
        services.set_timer(end, self._next_window, f"window {self._index} end")

    def _next_window(self) -> None:
        self._index += 1
        if self._index == len(self.windows):
            self._index = 0
            self._frame_number += 1
        self._arm()

    def _require(self) -> SchedulerServices:
        if self._services is None:
            raise SchedulerStateError(f"{self.name}: used before init()")
        return self._services
