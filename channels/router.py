"""One provider per channel kind behind the single `Provider` the outbox sends with."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from channels.base import ChannelFacts, Outgoing, Provider, SendOutcome, SendResult, facts_of


class Router:
    """Send each message with the provider configured for its channel."""

    name = "router"

    def __init__(self, by_channel: Mapping[str, Provider], default: Provider) -> None:
        self.by_channel = dict(by_channel)
        self.default = default

    def for_channel(self, channel: str) -> Provider:
        """Return the provider that sends `channel`."""
        return self.by_channel.get(channel, self.default)

    def facts(self, channel: str) -> ChannelFacts:
        """Return what the provider of `channel` asks of its messages."""
        return facts_of(self.for_channel(channel), channel)

    def send(self, msg: Outgoing) -> SendResult:
        """Send with the channel's provider."""
        return self.for_channel(msg.channel).send(msg)

    def find_sent(self, msg: Outgoing, since: datetime) -> str | None:
        """Ask the channel's provider whether it already accepted `msg`."""
        return self.for_channel(msg.channel).find_sent(msg, since)

    def close(self) -> None:
        """Close every provider that holds connections, once each."""
        seen: set[int] = set()
        for provider in [*self.by_channel.values(), self.default]:
            close = getattr(provider, "close", None)
            if close is not None and id(provider) not in seen:
                seen.add(id(provider))
                close()


class Unconfigured:
    """The provider of a channel nobody configured: every message is to go another way."""

    name = "unconfigured"

    def send(self, msg: Outgoing) -> SendResult:
        """Ask the outbox to reach the person on another channel."""
        return SendResult(SendOutcome.NEXT_CHANNEL, detail="no provider for this channel")

    def find_sent(self, msg: Outgoing, since: datetime) -> str | None:
        """Nothing was ever sent."""
        return None
