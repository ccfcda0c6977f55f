"""One provider per channel kind behind the single `Provider` the outbox sends with; a reply
leaves by the provider its person wrote to when that one is configured too."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from channels.base import ChannelFacts, Outgoing, Provider, SendOutcome, SendResult, facts_of


class Router:
    """Send each message with the provider configured for its channel."""

    name = "router"

    def __init__(
        self,
        by_channel: Mapping[str, Provider],
        default: Provider,
        by_via: Mapping[tuple[str, str], Provider] | None = None,
    ) -> None:
        self.by_channel = dict(by_channel)
        self.default = default
        #: (provider name, channel) -> provider: every configured provider, to answer a
        #: person by the provider (the number) they wrote to.
        self.by_via = dict(by_via or {})

    def for_channel(self, channel: str) -> Provider:
        """Return the provider that sends `channel`."""
        return self.by_channel.get(channel, self.default)

    def provider_for(self, msg: Outgoing) -> Provider:
        """Return the provider that sends `msg`: the one it answers when configured."""
        if msg.via is not None:
            chosen = self.by_via.get((msg.via, msg.channel))
            if chosen is not None:
                return chosen
        return self.for_channel(msg.channel)

    def facts(self, channel: str) -> ChannelFacts:
        """Return what the provider of `channel` asks of its messages."""
        return facts_of(self.for_channel(channel), channel)

    def send(self, msg: Outgoing) -> SendResult:
        """Send with the provider the person wrote to, else with the channel's."""
        return self.provider_for(msg).send(msg)

    def find_sent(self, msg: Outgoing, since: datetime) -> str | None:
        """Ask the provider that sends `msg` whether it already accepted it."""
        return self.provider_for(msg).find_sent(msg, since)

    def close(self) -> None:
        """Close every provider that holds connections, once each."""
        seen: set[int] = set()
        for provider in [*self.by_channel.values(), *self.by_via.values(), self.default]:
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
