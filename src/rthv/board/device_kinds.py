"""Device kinds by name: ``{kind: DeviceKind}``, the one place that turns a board's ``kind`` into
a model. A new kind is its model module plus one entry here (or ``register_device_kind``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from rthv.board.clock import VirtualClock
from rthv.board.device import MmioDevice
from rthv.board.events import EventQueue
from rthv.board.guest_errors import GuestErrorSink, ignore_guest_errors
from rthv.board.pl011 import Pl011Uart
from rthv.board.signal import Signal
from rthv.board.sp804 import Sp804Timer

ConsoleOutput = Callable[[bytes], None]
SP804_DEFAULT_CLOCK_HZ = 1_000_000


class DeviceSpec(Protocol):
    """What a factory reads from a board's device entry."""

    @property
    def name(self) -> str:
        """The device's name on the board."""
        ...

    @property
    def clock_hz(self) -> int | None:
        """Its input clock, if the board gives one."""
        ...


@dataclass(frozen=True)
class DeviceWiring:
    """What the board offers a device model: virtual time, a console sink per device name, and
    where to report the guest's accesses the model does not implement."""

    clock: VirtualClock
    events: EventQueue
    console: Callable[[str], ConsoleOutput]
    guest_error: GuestErrorSink = ignore_guest_errors


@dataclass(frozen=True)
class BuiltDevice:
    """A device model and the one interrupt line the board connects to its IRQ numbers."""

    model: MmioDevice
    irq: Signal


@dataclass(frozen=True)
class DeviceKind:
    """How to build one kind of device, and what the board and hypervisor may assume of it."""

    build: Callable[[DeviceSpec, DeviceWiring], BuiltDevice]
    timed: bool = False  # its MMIO callbacks read exact time (see docs/architecture.md)
    uart: bool = False  # a PL011-compatible UART: a console and a device-tree serial node


def _pl011(spec: DeviceSpec, wiring: DeviceWiring) -> BuiltDevice:
    uart = Pl011Uart(spec.name, wiring.console(spec.name), wiring.guest_error)
    return BuiltDevice(uart, uart.irq)


def _sp804(spec: DeviceSpec, wiring: DeviceWiring) -> BuiltDevice:
    clock_hz = spec.clock_hz or SP804_DEFAULT_CLOCK_HZ
    timer = Sp804Timer(wiring.clock, wiring.events, clock_hz, spec.name, wiring.guest_error)
    return BuiltDevice(timer, timer.combined_irq)


DEVICE_KINDS: dict[str, DeviceKind] = {
    "pl011": DeviceKind(_pl011, uart=True),
    "sp804": DeviceKind(_sp804, timed=True),
}


class UnknownDeviceKind(ValueError):
    """A board names a device kind nobody registered."""


def device_kind(name: str) -> DeviceKind:
    """The registered kind ``name``."""
    try:
        return DEVICE_KINDS[name]
    except KeyError:
        known = ", ".join(sorted(DEVICE_KINDS))
        raise UnknownDeviceKind(f"unknown device kind {name!r}; known kinds: {known}") from None


def register_device_kind(name: str, kind: DeviceKind) -> None:
    """Make ``name`` usable as a device kind in board descriptions."""
    if name in DEVICE_KINDS:
        raise ValueError(f"device kind {name!r} is already registered")
    DEVICE_KINDS[name] = kind
