"""SMS Gateway for Android (SMSGate): an Android phone with a local SIM relays SMS both ways.

Inbound: the phone POSTs JSON events to /webhooks/smsgate, signed with the key set on it.
Outbound: SIGAP calls the phone's API (`POST /messages`, basic auth). The API is described in
data/smsgate/smsgate_api.json.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import json
from base64 import b64decode
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

from channels import media as media_policy
from channels.base import ChannelError, DeliveryStatus, InboundMessage, StatusUpdate
from channels.phone import normalize_phone
from models.vocab import Channel

PROVIDER = "smsgate"
#: A signed event whose timestamp is further than this from our clock is refused: a replay.
MAX_SKEW = timedelta(minutes=5)
#: An SMS is at most a few concatenated segments; the app relays nothing longer.
MAX_TEXT_CHARS = 4096

RECEIVED = "sms:received"
PING = "system:ping"
#: The network announced an MMS: who from, no content (the WAP push notification).
MMS_RECEIVED = "mms:received"
#: The phone fetched an MMS: its text and its attachments, inline in base64.
MMS_DOWNLOADED = "mms:downloaded"
MMS_EVENTS = frozenset({MMS_RECEIVED, MMS_DOWNLOADED})
#: SMSGate's delivery events and what they mean to SIGAP.
STATUS_MAP: Mapping[str, DeliveryStatus] = MappingProxyType(
    {
        "sms:sent": DeliveryStatus.SENT,
        "sms:delivered": DeliveryStatus.DELIVERED,
        "sms:failed": DeliveryStatus.FAILED,
    }
)
#: Every event SIGAP acts on; anything else is refused as unknown.
EVENTS = frozenset({RECEIVED, PING, *MMS_EVENTS, *STATUS_MAP})


@dataclass(frozen=True, slots=True)
class Event:
    """One webhook delivery: who sent it, what happened, and its payload."""

    id: str
    kind: str
    device_id: str
    payload: Mapping[str, Any]


def verify_signature(
    key: str | None,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    now: datetime,
) -> bool:
    """Return whether the delivery is signed with `key` and fresh (not a replay)."""
    # The app signs the raw body followed by the X-Timestamp value with HMAC-SHA256 and
    # sends it hex-encoded in X-Signature (docs.sms-gate.app, "Webhooks: payload signing").
    # No key configured means nothing can be verified, so nothing is accepted.
    if not (key and timestamp and signature):
        return False
    try:
        sent_at = datetime.fromtimestamp(int(timestamp), UTC)
    except (ValueError, OverflowError, OSError):
        return False
    if abs(now - sent_at) > MAX_SKEW:
        return False
    expected = hmac.new(key.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.strip().lower())


def sign(key: str, body: bytes, timestamp: str) -> str:
    """Return X-Signature for a body and timestamp, as the app computes it."""
    return hmac.new(key.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()


def _string(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ChannelError("missing_field", f"{name} is required")
    return value.strip()


def parse_event(body: bytes) -> Event:
    """Return the event a delivery carries, or raise ChannelError."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ChannelError("bad_json", "the body is not JSON") from exc
    if not isinstance(data, dict):
        raise ChannelError("bad_json", "the body is not a JSON object")
    payload = data.get("payload")
    if not isinstance(payload, dict):
        raise ChannelError("missing_field", "payload is required")
    kind = _string(data, "event")
    if kind not in EVENTS:
        raise ChannelError("unknown_event", f"event {kind!r} is not handled")
    return Event(_string(data, "id"), kind, _string(data, "deviceId"), payload)


def parse_time(raw: object) -> datetime | None:
    """Return an ISO 8601 time with offset as UTC, None when absent or unreadable."""
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else None


def inbound_message(event: Event) -> InboundMessage:
    """Return the message an `sms:received` event carries, identified by the event id."""
    payload = event.payload
    sender = normalize_phone(_string(payload, "phoneNumber"))
    text = payload.get("message")
    if not isinstance(text, str):
        raise ChannelError("missing_field", "message is required")
    if len(text) > MAX_TEXT_CHARS:
        raise ChannelError("too_large", f"text longer than {MAX_TEXT_CHARS} characters")
    recipient = payload.get("recipient")
    return InboundMessage(
        provider=PROVIDER,
        channel=Channel.SMS,
        # The payload's messageId is derived from the content (two "YA" answers share it);
        # the event id is what the app keeps across its retries.
        provider_message_id=event.id,
        sender=sender,
        recipient=recipient if isinstance(recipient, str) else "",
        text=text,
    )


def status_update(event: Event) -> StatusUpdate:
    """Return the delivery report a `sms:sent/delivered/failed` event carries."""
    return StatusUpdate(
        provider_message_id=_string(event.payload, "messageId"),
        status=STATUS_MAP[event.kind],
    )


def content_key(sender: str, text: str, received_at: datetime | None) -> str:
    """Return what identifies one received SMS in both the webhook and the phone's inbox.

    The webhook's event id is unknown to the inbox, so a message fetched by the catch-up
    job and the same message relayed late by the phone are matched on sender, second and
    text. Callers store it only as a keyed hash (`core.crypto.lookup_hash`).
    """
    moment = received_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S") if received_at else "-"
    return f"smsgate|{sender}|{moment}|{text}"


@dataclass(frozen=True, slots=True)
class MmsNotice:
    """An `mms:received` event: someone sent an MMS the phone has not fetched yet."""

    event_id: str
    sender: str


@dataclass(frozen=True, slots=True)
class MmsPart:
    """One attachment of a downloaded MMS: its bytes, or why they are not kept."""

    #: Names the part for the record (never fetched: the bytes came with the event).
    name: str
    content_type: str
    content: bytes | None
    size: int | None
    refused: str | None = None


@dataclass(frozen=True, slots=True)
class MmsContent:
    """An `mms:downloaded` event: the message (text, no media yet) and its attachments."""

    message: InboundMessage
    parts: tuple[MmsPart, ...]


def mms_sender(payload: Mapping[str, Any]) -> str:
    """Return who sent an MMS: `sender` (newer apps) or `phoneNumber`, normalised."""
    raw = payload.get("sender") or payload.get("phoneNumber")
    if not isinstance(raw, str) or not raw.strip():
        raise ChannelError("missing_field", "phoneNumber is required")
    return normalize_phone(raw.strip())


def mms_event(event: Event) -> MmsNotice | MmsContent:
    """Return what an `mms:received` or `mms:downloaded` event carries, or raise ChannelError."""
    sender = mms_sender(event.payload)
    if event.kind == MMS_RECEIVED:
        return MmsNotice(event.id, sender)
    raw_parts = event.payload.get("attachments")
    if not isinstance(raw_parts, list):
        raise ChannelError("missing_field", "attachments is required")
    body = event.payload.get("body")
    recipient = event.payload.get("recipient")
    message = InboundMessage(
        provider=PROVIDER,
        channel=Channel.SMS,
        provider_message_id=event.id,  # as for SMS: the event id survives the app's retries
        sender=sender,
        recipient=recipient if isinstance(recipient, str) else "",
        # An MMS may say more than an SMS; what is past the bound is cut, the media kept.
        text=body[:MAX_TEXT_CHARS] if isinstance(body, str) else "",
    )
    name = f"smsgate:mms/{event.id}"
    parts = tuple(_mms_part(name, i, part) for i, part in enumerate(raw_parts))
    return MmsContent(message, parts)


def _mms_part(name: str, index: int, raw: object) -> MmsPart:
    """Decode one attachment, refusing it (never dropping it) when it may not be kept."""
    if not isinstance(raw, dict):
        raise ChannelError("missing_field", "an attachment is not an object")
    part_id = raw.get("partId")
    label = f"{name}/{part_id if isinstance(part_id, int) else index}"
    content_type = str(raw.get("contentType") or "").split(";")[0].strip().lower()
    data = raw.get("data")
    if not isinstance(data, str) or not data:
        return MmsPart(label, content_type, None, None, "no_content")
    # The size base64 encodes, known before decoding anything too large.
    size = len(data) * 3 // 4 - data[-2:].count("=")
    refused = media_policy.refusal(content_type, size)
    if refused is not None:
        return MmsPart(label, content_type, None, size, refused)
    try:
        content = b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return MmsPart(label, content_type, None, size, "unreadable")
    return MmsPart(label, content_type, content, len(content))
