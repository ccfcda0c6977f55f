"""Channel-neutral message types: what every provider adapter takes and gives."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from urllib.parse import urlsplit

from models.vocab import Channel

CHANNEL_KINDS: tuple[Channel, ...] = tuple(Channel)


class ChannelError(Exception):
    """A provider payload that cannot become a message, with a machine-readable code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class MediaRef:
    """One attachment as the provider announced it; fetching it is someone else's job.

    A provider that sends the bytes with the message (SMSGate's downloaded MMS) has them
    stored before the message is: `stored_as` names the encrypted file, or `refused` says
    why nothing was kept. `url` then only names the part; nothing fetches it.
    """

    url: str
    content_type: str
    stored_as: str | None = None
    size: int | None = None
    refused: str | None = None


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A message a person sent us, in nobody's field names."""

    provider: str
    channel: Channel
    provider_message_id: str
    sender: str
    recipient: str
    text: str
    media: tuple[MediaRef, ...] = ()
    profile_name: str | None = None
    button_payload: str | None = None


# Ranks order the delivery states; failures share the rank of `delivered` so that a late
# failure report cannot overwrite a message the phone already received.
_RANKS = {"queued": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 2, "undelivered": 2}
_FINAL = frozenset({"failed", "undelivered"})


class DeliveryStatus(enum.StrEnum):
    """Where an outbound message is on its way to the phone."""

    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    UNDELIVERED = "undelivered"

    @property
    def rank(self) -> int:
        """Return how far along the way this status is."""
        return _RANKS[self.value]

    @property
    def is_final(self) -> bool:
        """Return whether no later status can replace this one."""
        return self.value in _FINAL

    @staticmethod
    def advances(old: DeliveryStatus | None, new: DeliveryStatus) -> bool:
        """Return whether `new` may replace `old`: status only moves forward."""
        if old is None:
            return True
        if old.is_final:
            return False
        return new.rank > old.rank


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """A provider's report on a message we sent."""

    provider_message_id: str
    status: DeliveryStatus
    error_code: int | None = None
    #: The person told the provider to stop sending them messages (e.g. replied STOP).
    is_opted_out: bool = False


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to send; a template (content_sid) replaces the body on WhatsApp."""

    to: str
    channel: Channel
    body: str
    content_sid: str | None = None
    content_variables: dict[str, str] | None = None
    validity_seconds: int | None = None
    status_callback: str | None = None
    #: The outbox row's idempotency key: a provider that takes a client id sends it once.
    key: str | None = None
    #: What the message is, without its content (`outbox 12 alert`): what a console may show.
    label: str = ""
    #: The provider the person wrote to: a reply leaves by it (the number they used) when it
    #: is configured for this channel, else by whichever provider sends the channel.
    via: str | None = None
    #: Ids the provider gave other messages to this number: when a lost answer is looked up
    #: by content, a message with the same text sent for another row is not this one.
    not_these: frozenset[str] = frozenset()


class SendOutcome(enum.StrEnum):
    """What the caller should do next with a message after one send attempt."""

    SENT = "sent"  # the provider accepted it
    RETRY = "retry"  # not accepted; try again later with backoff
    FINAL = "final"  # rejected for good; never retry
    NEXT_CHANNEL = "next_channel"  # this channel cannot reach this person: try another
    UNKNOWN = "unknown"  # it may have arrived: ask find_sent before sending again


@dataclass(frozen=True, slots=True)
class SendResult:
    """The outcome of one send attempt; `detail` never holds a number or message text."""

    outcome: SendOutcome
    provider_message_id: str | None = None
    error_code: int | None = None
    detail: str = ""
    #: The person told the provider to stop sending them messages (e.g. replied STOP).
    is_opted_out: bool = False


@dataclass(frozen=True, slots=True)
class ChannelFacts:
    """What a provider asks of the code sending through it, in nobody's terms."""

    #: The longest validity period the provider accepts, in seconds; None: it takes none.
    validity_cap: int | None = None
    #: The path on our server the provider posts delivery reports to; None: it needs none.
    status_path: str | None = None
    #: Messages the business starts (alerts) need an approved template on this channel.
    needs_template: bool = False
    #: Hosts the provider serves inbound media from (https only); nothing else is fetched.
    media_hosts: frozenset[str] = frozenset()

    def status_callback(self, public_base_url: str | None) -> str | None:
        """Return the URL the provider should report delivery to, None when not needed."""
        if not (self.status_path and public_base_url):
            return None
        return public_base_url.rstrip("/") + self.status_path


NO_FACTS = ChannelFacts()


def is_trusted_url(url: str, hosts: frozenset[str]) -> bool:
    """Return whether `url` is https on one of `hosts` (".example.com": any subdomain)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or parts.username or parts.password or port not in (None, 443):
        return False
    return host in hosts or any(h.startswith(".") and host.endswith(h) for h in hosts)


class Provider(Protocol):
    """Something that can send an `Outgoing` message and look one up afterwards."""

    name: str

    def send(self, msg: Outgoing) -> SendResult:
        """Send one message and classify what happened."""
        ...

    def find_sent(self, msg: Outgoing, since: datetime) -> str | None:
        """Return the provider's id for `msg` if it already accepted it after `since`."""
        ...


def facts_of(provider: object, channel: str) -> ChannelFacts:
    """Return what `provider` asks of messages on `channel` (nothing, if it says nothing)."""
    facts = getattr(provider, "facts", None)
    return facts(channel) if facts is not None else NO_FACTS


def message_facts(provider: object, msg: Outgoing) -> ChannelFacts:
    """Return what the provider that will send `msg` asks of it (a router asks its choice)."""
    choose = getattr(provider, "provider_for", None)
    return facts_of(choose(msg) if choose is not None else provider, msg.channel)
