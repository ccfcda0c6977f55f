"""Twilio inbound: webhook fields to neutral messages, signatures, TwiML replies.

SMS and WhatsApp arrive through the same Twilio Messaging webhook with the same fields, so
one adapter serves both; `kind` only says which route (and so which channel) it stands for.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from types import MappingProxyType
from urllib.parse import urlparse

from twilio.request_validator import RequestValidator, add_port, remove_port
from twilio.twiml.messaging_response import MessagingResponse

from channels.base import (
    CHANNEL_KINDS,
    ChannelError,
    ChannelFacts,
    DeliveryStatus,
    InboundMessage,
    MediaRef,
    StatusUpdate,
    is_trusted_url,
)
from channels.phone import normalize_phone
from core.bounds import bounded_int
from models.vocab import Channel

PROVIDER = "twilio"
WHATSAPP_PREFIX = "whatsapp:"

# WhatsApp's own limit on a text message; Twilio caps SMS at 1,600 characters. Anything
# longer did not come from a phone through Twilio.
MAX_TEXT_CHARS = 4096
# The width of the stored provider message id; a longer one would fail at the database.
MAX_SID_CHARS = 64
# Twilio delivers at most ten attachments with one message.
MAX_MEDIA = 10

#: Twilio's MessageStatus values (status callbacks) and what they mean to SIGAP.
STATUS_MAP: Mapping[str, DeliveryStatus] = MappingProxyType(
    {
        "accepted": DeliveryStatus.QUEUED,
        "scheduled": DeliveryStatus.QUEUED,
        "queued": DeliveryStatus.QUEUED,
        "sending": DeliveryStatus.QUEUED,
        "sent": DeliveryStatus.SENT,
        "delivered": DeliveryStatus.DELIVERED,
        "read": DeliveryStatus.READ,
        "undelivered": DeliveryStatus.UNDELIVERED,
        "failed": DeliveryStatus.FAILED,
        "canceled": DeliveryStatus.FAILED,
    }
)

# Hosts Twilio serves inbound media from. Any other URL in a payload is never fetched, so a
# forged or proxied payload cannot make the server request an address of its choosing.
MEDIA_HOSTS = frozenset({"api.twilio.com", "media.twiliocdn.com", ".twiliocdn.com"})
#: Twilio's "recipient replied STOP": https://www.twilio.com/docs/api/errors/21610
OPTED_OUT_CODE = 21610
#: The longest ValidityPeriod Twilio accepts, in seconds.
MAX_VALIDITY_SECONDS = 36000
STATUS_PATH = "/webhooks/twilio/status"


def facts(channel: str) -> ChannelFacts:
    """Return what Twilio asks of messages on `channel`."""
    return ChannelFacts(
        validity_cap=MAX_VALIDITY_SECONDS,
        status_path=STATUS_PATH,
        # Business-initiated WhatsApp messages need an approved template (Content SID).
        needs_template=channel == Channel.WHATSAPP,
        media_hosts=MEDIA_HOSTS,
    )


def _text(form: Mapping[str, str], *names: str) -> str:
    """Return the first non-empty field among `names`, stripped, or ""."""
    for name in names:
        value = form.get(name)
        if value and value.strip():
            return value.strip()
    return ""


def _required(form: Mapping[str, str], *names: str) -> str:
    """Return the first non-empty field among `names`, or raise missing_field."""
    value = _text(form, *names)
    if not value:
        raise ChannelError("missing_field", f"{names[0]} is required")
    return value


def _sid(form: Mapping[str, str], *names: str) -> str:
    """Return a message's SID (Twilio's are 34 characters), refusing what its column cannot hold."""
    value = _required(form, *names)
    if len(value) > MAX_SID_CHARS:
        raise ChannelError("bad_field", f"{names[0]} is longer than {MAX_SID_CHARS} characters")
    return value


def _optional(form: Mapping[str, str], name: str) -> str | None:
    """Return a field that may be absent, as None when absent or blank."""
    return _text(form, name) or None


def _int_field(form: Mapping[str, str], name: str) -> int | None:
    """Return an integer field, None when absent, or raise bad_field."""
    raw = _text(form, name)
    if not raw:
        return None
    # Bounded to what the database stores: a wider number is no field Twilio sends.
    value = bounded_int(raw)
    if value is None:
        raise ChannelError("bad_field", f"{name} is not a number in range")
    return value


def _media(form: Mapping[str, str]) -> tuple[MediaRef, ...]:
    """Return the attachments announced by NumMedia / MediaUrlN / MediaContentTypeN."""
    count = _int_field(form, "NumMedia") or 0
    if count < 0:
        raise ChannelError("bad_field", "NumMedia is negative")
    if count > MAX_MEDIA:
        raise ChannelError("too_large", f"more than {MAX_MEDIA} attachments")
    return tuple(
        MediaRef(
            url=_required(form, f"MediaUrl{i}"),
            content_type=_text(form, f"MediaContentType{i}") or "application/octet-stream",
        )
        for i in range(count)
    )


def _recipient(raw: str) -> str:
    """Return our own address as E.164 when it is a number, else as given (a short code)."""
    try:
        return normalize_phone(raw)
    except ChannelError:
        return raw.removeprefix(WHATSAPP_PREFIX)


def is_twilio_media_url(url: str) -> bool:
    """Return whether `url` is on a host Twilio serves media from, over https."""
    return is_trusted_url(url, MEDIA_HOSTS)


def verify_signature(
    auth_token: str, url: str, params: Mapping[str, str], signature: str | None
) -> bool:
    """Return whether `signature` (X-Twilio-Signature) signs this URL and form with the token."""
    # Twilio signs the full public URL it called plus the sorted POST fields with HMAC-SHA1
    # keyed by the auth token: https://www.twilio.com/docs/usage/webhooks/webhooks-security
    # Behind a TLS proxy, `url` must be the public https URL (PUBLIC_BASE_URL), not the one
    # the proxy forwarded. Twilio is not consistent about default ports (":443"), so the URL
    # is tried as given and then with its port added or removed, as Twilio's own validator
    # does, but the second signature is only computed when the first did not match. The
    # comparison takes constant time.
    if not signature or not auth_token:
        return False
    try:
        called = urlparse(url)
        other = add_port(called) if called.port is None else remove_port(called)
        validator = RequestValidator(auth_token)
        given = signature.encode()
        return any(
            hmac.compare_digest(validator.compute_signature(candidate, params).encode(), given)
            for candidate in (called.geturl(), other)
        )
    except (TypeError, ValueError, AttributeError):
        return False


def twiml_reply(text: str | None) -> str:
    """Return a TwiML document replying with `text`, or replying nothing when it is None."""
    response = MessagingResponse()
    if text:
        response.message(text)
    return str(response)


class TwilioChannel:
    """The Twilio Messaging webhook for one route kind: "sms" or "whatsapp"."""

    provider = PROVIDER

    def __init__(self, kind: Channel) -> None:
        if kind not in CHANNEL_KINDS:
            raise ValueError(f"unknown channel kind {kind!r}")
        self.kind: Channel = kind

    def __repr__(self) -> str:
        return f"TwilioChannel({self.kind!r})"

    # The same for both kinds; on the class too so that a webhook holds only its channel.
    is_twilio_media_url = staticmethod(is_twilio_media_url)
    is_trusted_media_url = staticmethod(is_twilio_media_url)
    verify_signature = staticmethod(verify_signature)
    twiml_reply = staticmethod(twiml_reply)

    def parse_inbound(self, form: Mapping[str, str]) -> InboundMessage:
        """Turn an inbound-message webhook's form fields into an InboundMessage."""
        message_id = _sid(form, "MessageSid", "SmsMessageSid", "SmsSid")
        raw_from = _required(form, "From")
        sender = normalize_phone(raw_from)
        recipient = _recipient(_required(form, "To"))
        button_payload = _optional(form, "ButtonPayload")
        # A tapped quick-reply button may come with its label only in ButtonText.
        text = form.get("Body") or ""
        if not text.strip() and button_payload:
            text = _text(form, "ButtonText")
        if len(text) > MAX_TEXT_CHARS:
            raise ChannelError("too_large", f"text longer than {MAX_TEXT_CHARS} characters")
        return InboundMessage(
            provider=PROVIDER,
            channel=self._channel_of(raw_from),
            provider_message_id=message_id,
            sender=sender,
            recipient=recipient,
            text=text,
            media=_media(form),
            profile_name=_optional(form, "ProfileName"),
            button_payload=button_payload,
        )

    def _channel_of(self, raw_from: str) -> Channel:
        """Return the channel a message came over: the address says so before the route does."""
        # Twilio gives every WhatsApp address its prefix, so a prefixed sender on the SMS
        # route means a misconfigured webhook URL; answering over SMS would be wrong, and
        # refusing would lose the report.
        if raw_from.strip().lower().startswith(WHATSAPP_PREFIX):
            return Channel.WHATSAPP
        return self.kind

    def parse_status(self, form: Mapping[str, str]) -> StatusUpdate:
        """Turn a status-callback webhook's form fields into a StatusUpdate."""
        message_id = _sid(form, "MessageSid", "SmsSid")
        raw_status = _required(form, "MessageStatus", "SmsStatus").lower()
        status = STATUS_MAP.get(raw_status)
        if status is None:
            raise ChannelError("unknown_status", f"status {raw_status!r} is not known")
        error_code = _int_field(form, "ErrorCode")
        return StatusUpdate(
            provider_message_id=message_id,
            status=status,
            error_code=error_code,
            is_opted_out=error_code == OPTED_OUT_CODE,
        )


CHANNELS: Mapping[str, TwilioChannel] = MappingProxyType(
    {kind: TwilioChannel(kind) for kind in CHANNEL_KINDS}
)


def channel_for(route_kind: str) -> TwilioChannel:
    """Return the channel for a webhook route kind, or raise ChannelError("unknown_channel")."""
    try:
        return CHANNELS[route_kind]
    except KeyError:
        raise ChannelError("unknown_channel", f"no channel {route_kind!r}") from None
