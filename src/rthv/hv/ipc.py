"""Inter-VM communication: notify channels that raise a configured virtual IRQ in the peer."""

from __future__ import annotations

from dataclasses import dataclass

from rthv.hv.config import NotifyChannel
from rthv.hv.hypercalls import MAX_CHANNEL_ID, HypercallError
from rthv.hv.vm import Vm


@dataclass
class ChannelCounters:
    """How often a channel was used."""

    sent: int = 0


class NotifyChannels:
    """The configured channels, looked up by id; nothing else can raise an interrupt in a VM."""

    def __init__(self, channels: tuple[NotifyChannel, ...], vms: dict[str, Vm]) -> None:
        self._channels = {channel.id: channel for channel in channels}
        self._vms = vms
        self.counters = {channel.id: ChannelCounters() for channel in channels}
        self.rejected = 0

    def notify(self, sender: Vm, channel_id: int) -> tuple[int, Vm | None]:
        """Raise the channel's vIRQ in its peer; returns (status, peer to deliver to or None)."""
        if channel_id > MAX_CHANNEL_ID:
            self.rejected += 1
            return HypercallError.INVAL, None
        channel = self._channels.get(channel_id)
        if channel is None or channel.from_vm != sender.name:
            self.rejected += 1
            return HypercallError.NOCHAN, None
        peer = self._vms[channel.to_vm]
        if peer.stopped:
            self.rejected += 1
            return HypercallError.PERM, None
        self.counters[channel_id].sent += 1
        sender.counters.notifications += 1
        deliverable = peer.vgic.raise_virtual(channel.virq)
        return 0, peer if deliverable else None
