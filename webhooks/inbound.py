"""Store each inbound message once, raw and encrypted; the worker interprets it later."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached

from channels import InboundMessage, is_trusted_url
from channels.media import media_hosts
from core import clock
from core.crypto import lookup_hash
from core.db import table_of
from models import InboundMessage as InboundRow
from models import InboundStatus
from security import tombstones

log = logging.getLogger(__name__)


#: A Core insert on the table (not the mapped class): the hottest write of the service, with
#: neither the unit of work nor the ORM's statement handling in its way.
_INSERT = insert(table_of(InboundRow)).returning(table_of(InboundRow).c.id)


@dataclass(frozen=True)
class Recorded:
    """The stored row and whether this call stored it (False: a provider's resend)."""

    _row: InboundRow | None
    is_new: bool
    _session: Session | None = None
    _values: dict[str, Any] | None = None

    @property
    def row(self) -> InboundRow:
        """The row, made an instance of the session only when someone asks for it."""
        if self._row is not None:
            return self._row
        assert self._session is not None
        assert self._values is not None
        row = InboundRow(**self._values)
        make_transient_to_detached(row)
        self._session.add(row)
        object.__setattr__(self, "_row", row)
        return row


def _media_json(msg: InboundMessage) -> str | None:
    if not msg.media:
        return None
    return json.dumps(
        [
            {
                "url": m.url,
                "content_type": m.content_type,
                "is_trusted": is_trusted_url(m.url, media_hosts(msg.provider)),
                # Bytes that came with the message: already stored, or refused.
                **{k: v for k in _INLINE if (v := getattr(m, k)) is not None},
            }
            for m in msg.media
        ]
    )


#: What a MediaRef says about bytes that came with the message (see channels.MediaRef).
_INLINE = ("stored_as", "size", "refused")


def record_inbound(
    session: Session, msg: InboundMessage, spooled_at: datetime | None = None
) -> Recorded:
    """Insert and commit the raw message; a resend finds the first copy instead."""
    if tombstones.is_buried(session, msg.provider, msg.provider_message_id):
        # Its row was purged by retention: a replay, answered as a resend, never interpreted.
        return Recorded(tombstones.stand_in(msg.provider, msg.provider_message_id), False)
    now = clock.now()
    values = {
        "provider": msg.provider,
        "channel": msg.channel,
        "provider_message_id": msg.provider_message_id,
        "sender_hash": lookup_hash(msg.sender),
        "sender": msg.sender,
        "body": msg.text,
        "media": _media_json(msg),
        "profile_name": msg.profile_name,
        "button_payload": msg.button_payload,
        "status": InboundStatus.RECEIVED,
        "attempts": 0,
        "received_at": now,
        "next_attempt_at": now,  # waiting for the worker since now
        "spooled_at": spooled_at,
    }
    try:
        row_id = session.connection().execute(_INSERT, values).scalar_one()
        session.commit()
    except IntegrityError:
        session.rollback()
    else:
        return Recorded(None, True, session, values | {"id": row_id})
    existing = session.scalar(
        select(InboundRow).where(
            InboundRow.provider == msg.provider,
            InboundRow.provider_message_id == msg.provider_message_id,
        )
    )
    if existing is None:  # pragma: no cover - the unique key said it exists
        raise RuntimeError("inbound message vanished after a unique violation")
    return Recorded(existing, False)


def receive(session: Session, msg: InboundMessage) -> Recorded:
    """Store a webhook's message for the worker; a provider's resend changes nothing."""
    recorded = record_inbound(session, msg)
    if not recorded.is_new:
        log.info("inbound id=%s sid=%s duplicate", recorded.row.id, msg.provider_message_id)
    return recorded


def as_message(row: InboundRow) -> InboundMessage:
    """Rebuild the channel-neutral message from a stored row (for retries)."""
    from channels import MediaRef

    media = tuple(
        MediaRef(m["url"], m["content_type"], *(m.get(k) for k in _INLINE))
        for m in json.loads(row.media or "[]")
    )
    return InboundMessage(
        provider=row.provider,
        channel=row.channel,
        provider_message_id=row.provider_message_id,
        sender=row.sender,
        recipient="",
        text=row.body,
        media=media,
        profile_name=row.profile_name,
        button_payload=row.button_payload,
    )
