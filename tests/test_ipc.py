"""Notify channels: who may raise which virtual IRQ in whom, the statuses and the counters."""

from __future__ import annotations

from pathlib import Path

import pytest

import rthv
from hv_support import boot, vm_toml, write_system
from rthv.hv.config import ConfigError
from rthv.hv.hypercalls import HypercallError
from rthv.hv.vm import Vm

CHANNELS = """
[[notify]]
from = "a"
to = "b"
virq = 48
id = 0
[[notify]]
from = "b"
to = "a"
virq = 49
id = 1
[[notify]]
from = "a"
to = "b"
virq = 50
id = 2
"""


def _system(tmp_path: Path, channels: str = CHANNELS) -> rthv.System:
    """Two booted (not yet run) hello VMs, a and b, with ``channels``."""
    path = write_system(
        tmp_path, vm_toml("a", "hello"), vm_toml("b", "hello", uart="uart1"), tail=channels
    )
    return boot(path)


def _vms(system: rthv.System) -> tuple[Vm, Vm]:
    return system.hypervisor.vms["a"], system.hypervisor.vms["b"]


def test_a_notify_pends_the_virq_in_the_peer_and_is_counted(tmp_path: Path) -> None:
    """Channel 0 from a: status 0, b's vIRQ 48 pending; b's GICD is off, so nothing to deliver."""
    system = _system(tmp_path)
    a, b = _vms(system)
    ipc = system.hypervisor.ipc
    assert ipc.notify(a, 0) == (0, None)
    assert b.vgic.is_pending(48)
    assert not b.vgic.is_pending(50) and not a.vgic.is_pending(49)
    assert (ipc.counters[0].sent, ipc.counters[1].sent, ipc.counters[2].sent) == (1, 0, 0)
    assert (a.counters.notifications, b.counters.notifications) == (1, 0)
    assert ipc.rejected == 0


def test_a_deliverable_virq_returns_the_peer_to_deliver_to(tmp_path: Path) -> None:
    """With b's distributor and vIRQ 48 enabled, notify hands back b for delivery."""
    system = _system(tmp_path)
    a, b = _vms(system)
    b.vgic.enabled = True
    b.vgic.set_enabled(48, True)
    assert system.hypervisor.ipc.notify(a, 0) == (0, b)
    assert system.hypervisor.ipc.notify(a, 2) == (0, None)  # vIRQ 50 is still disabled
    assert b.vgic.is_pending(48) and b.vgic.is_pending(50)


def test_sent_counts_per_channel_and_notifications_per_sender(tmp_path: Path) -> None:
    """Two sends on channel 0, one on 2 by a, one on 1 by b: each counter on its own."""
    system = _system(tmp_path)
    a, b = _vms(system)
    ipc = system.hypervisor.ipc
    for sender, channel in ((a, 0), (a, 0), (a, 2), (b, 1)):
        assert ipc.notify(sender, channel)[0] == 0
    assert {number: counter.sent for number, counter in ipc.counters.items()} == {0: 2, 1: 1, 2: 1}
    assert (a.counters.notifications, b.counters.notifications) == (3, 1)
    assert a.vgic.is_pending(49)


@pytest.mark.parametrize(
    ("sender", "channel", "status"),
    [
        ("a", 7, HypercallError.NOCHAN),  # no such channel
        ("a", 1, HypercallError.NOCHAN),  # b's channel to a
        ("b", 0, HypercallError.NOCHAN),  # a's channel to b
        ("a", 0xFFFF, HypercallError.NOCHAN),  # the largest id: in range, unconfigured
        ("a", 0x1_0000, HypercallError.INVAL),
        ("a", 0xFFFF_FFFF, HypercallError.INVAL),
    ],
    ids=["unknown", "foreign", "foreign-reverse", "largest-id", "too-large", "max-u32"],
)
def test_a_refused_notify_changes_nothing_but_the_rejected_count(
    tmp_path: Path, sender: str, channel: int, status: HypercallError
) -> None:
    """NOCHAN for unknown or other VMs' channels, INVAL above 0xFFFF: no vIRQ, no counts."""
    system = _system(tmp_path)
    a, b = _vms(system)
    ipc = system.hypervisor.ipc
    assert ipc.notify(system.hypervisor.vms[sender], channel) == (status, None)
    assert ipc.rejected == 1
    assert not any(vm.vgic.is_pending(virq) for vm, virq in ((b, 48), (a, 49), (b, 50)))
    assert all(counter.sent == 0 for counter in ipc.counters.values())
    assert a.counters.notifications == b.counters.notifications == 0


def test_a_stopped_peer_refuses_notifications(tmp_path: Path) -> None:
    """Once b was stopped for a fault, a's notify gets PERM and b's vIRQ stays clear."""
    system = _system(tmp_path)
    a, b = _vms(system)
    system.hypervisor.stop_vm(b, "test", 0, 0, "read of 4 bytes")
    ipc = system.hypervisor.ipc
    assert ipc.notify(a, 0) == (HypercallError.PERM, None)
    assert not b.vgic.is_pending(48)
    assert (ipc.rejected, ipc.counters[0].sent, a.counters.notifications) == (1, 0, 0)


def test_every_configured_channel_can_be_notified(tmp_path: Path) -> None:
    """A channel numbered 0x10000 is refused by the configuration, or it works."""
    channel = '[[notify]]\nfrom = "a"\nto = "b"\nvirq = 48\nid = 0x10000\n'
    try:
        system = _system(tmp_path, channel)
    except ConfigError:
        return
    a, _ = _vms(system)
    assert system.hypervisor.ipc.notify(a, 0x1_0000)[0] == 0
