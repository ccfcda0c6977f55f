"""WhatsApp Cloud API inbound: Meta's webhook payloads to neutral messages and statuses.

Meta posts `{"object": "whatsapp_business_account", "entry": [{"changes": [{"field":
"messages", "value": {...}}]}]}`; one delivery may carry several messages and statuses.
https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from channels.base import (
    ChannelError,
    ChannelFacts,
    DeliveryStatus,
    InboundMessage,
    MediaRef,
    StatusUpdate,
)
from channels.phone import normalize_phone
from models.vocab import Channel

PROVIDER = "whatsapp_cloud"
OBJECT = "whatsapp_business_account"
#: Graph API version SIGAP speaks, and where media ids are resolved.
GRAPH_VERSION = "v21.0"
GRAPH_BASE_URL = "https://graph.facebook.com"
#: Meta serves media from the Graph API (which answers with a lookaside URL) and lookaside.
MEDIA_HOSTS = frozenset({"graph.facebook.com", "lookaside.fbsbx.com"})
MAX_TEXT_CHARS = 4096
FACTS = ChannelFacts(needs_template=True, media_hosts=MEDIA_HOSTS)

#: Meta's status values and what they mean to SIGAP.
STATUS_MAP: Mapping[str, DeliveryStatus] = MappingProxyType(
    {
        "sent": DeliveryStatus.SENT,
        "delivered": DeliveryStatus.DELIVERED,
        "read": DeliveryStatus.READ,
        "failed": DeliveryStatus.FAILED,
    }
)
_MEDIA_TYPES = ("image", "audio", "document", "video", "sticker")
#: Message types that carry nothing to act on (a reaction to our reply); acknowledged only.
_IGNORED_TYPES = frozenset({"reaction", "system", "unsupported", "ephemeral"})


@dataclass
class Delivery:
    """What one webhook delivery carries."""

    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    ignored: int = 0


def verify_signature(app_secret: str | None, body: bytes, header: str | None) -> bool:
    """Return whether X-Hub-Signature-256 is the HMAC-SHA256 of the raw body with the secret."""
    # https://developers.facebook.com/docs/graph-api/webhooks/getting-started#validate-payloads
    if not (app_secret and header and header.startswith("sha256=")):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


def sign(app_secret: str, body: bytes) -> str:
    """Return X-Hub-Signature-256 for a body, as Meta computes it."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify_challenge(verify_token: str | None, args: Mapping[str, str]) -> str | None:
    """Return hub.challenge when Meta's subscription request carries our verify token."""
    given = args.get("hub.verify_token") or ""
    if not verify_token or args.get("hub.mode") != "subscribe":
        return None
    if not hmac.compare_digest(given.encode(), verify_token.encode()):
        return None
    return args.get("hub.challenge") or None


def media_url(media_id: str) -> str:
    """Return the Graph API address of a media id (fetched with the access token)."""
    return f"{GRAPH_BASE_URL}/{GRAPH_VERSION}/{media_id}"


def parse(body: bytes) -> Delivery:
    """Return the messages and statuses of a delivery, or raise ChannelError."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ChannelError("bad_json", "the body is not JSON") from exc
    if not isinstance(data, dict) or not isinstance(data.get("entry"), list):
        raise ChannelError("bad_json", "entry is required")
    if data.get("object") != OBJECT:
        raise ChannelError("unknown_event", "not a WhatsApp Business Account event")
    delivery = Delivery()
    for entry in data["entry"]:
        for change in (entry or {}).get("changes") or []:
            if change.get("field") != "messages":
                raise ChannelError("unknown_event", f"field {change.get('field')!r} not handled")
            _read_value(change.get("value") or {}, delivery)
    return delivery


def _read_value(value: Mapping[str, Any], delivery: Delivery) -> None:
    names = {
        c.get("wa_id"): (c.get("profile") or {}).get("name") for c in value.get("contacts") or []
    }
    recipient = (value.get("metadata") or {}).get("display_phone_number") or ""
    for item in value.get("messages") or []:
        msg = _message(item, names, recipient)
        if msg is None:
            delivery.ignored += 1
        else:
            delivery.messages.append(msg)
    for item in value.get("statuses") or []:
        update = _status(item)
        if update is None:
            delivery.ignored += 1
        else:
            delivery.statuses.append(update)


def _string(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ChannelError("missing_field", f"{name} is required")
    return value.strip()


def _message(
    item: Mapping[str, Any], names: Mapping[str, str | None], recipient: str
) -> InboundMessage | None:
    """Return the neutral message, None for a type that carries nothing to act on."""
    kind = item.get("type")
    if kind in _IGNORED_TYPES:
        return None
    wa_id = _string(item, "from")
    text, media, payload = _content(kind, item)
    if len(text) > MAX_TEXT_CHARS:
        raise ChannelError("too_large", f"text longer than {MAX_TEXT_CHARS} characters")
    return InboundMessage(
        provider=PROVIDER,
        channel=Channel.WHATSAPP,
        provider_message_id=_string(item, "id"),
        sender=normalize_phone("+" + wa_id.lstrip("+")),
        recipient=recipient,
        text=text,
        media=media,
        profile_name=names.get(wa_id),
        button_payload=payload,
    )


def _content(kind: object, item: Mapping[str, Any]) -> tuple[str, tuple[MediaRef, ...], str | None]:
    """Return the text, attachments and tapped button of one message."""
    body = item.get(kind) if isinstance(kind, str) else None
    body = body if isinstance(body, dict) else {}
    if kind == "text":
        return str(body.get("body") or ""), (), None
    if kind in _MEDIA_TYPES:
        ref = MediaRef(media_url(_string(body, "id")), str(body.get("mime_type") or ""))
        return str(body.get("caption") or ""), (ref,), None
    if kind == "location":
        place = ", ".join(str(body[k]) for k in ("name", "address") if body.get(k))
        where = f"({body.get('latitude')}, {body.get('longitude')})"
        return f"{place} {where}".strip(), (), None
    if kind == "interactive":
        reply = body.get("button_reply") or body.get("list_reply") or {}
        return str(reply.get("title") or ""), (), reply.get("id") or None
    if kind == "button":  # a quick-reply button of a template
        return str(body.get("text") or ""), (), body.get("payload") or None
    raise ChannelError("unknown_event", f"message type {kind!r} not handled")


def _status(item: Mapping[str, Any]) -> StatusUpdate | None:
    """Return a delivery report, None for a status SIGAP does not track (e.g. "deleted")."""
    status = STATUS_MAP.get(_string(item, "status"))
    if status is None:
        return None
    errors = item.get("errors") or []
    code = errors[0].get("code") if errors and isinstance(errors[0], dict) else None
    return StatusUpdate(
        provider_message_id=_string(item, "id"),
        status=status,
        error_code=code if isinstance(code, int) else None,
    )
