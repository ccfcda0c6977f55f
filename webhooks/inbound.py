"""Store each inbound message once, raw and encrypted, before anything interprets it."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached

from channels import InboundMessage
from channels.twilio import is_twilio_media_url
from core import clock
from core.crypto import lookup_hash
from core.db import derived_writes
from core.i18n import t
from intake import pipeline
from models import InboundMessage as InboundRow
from models import InboundStatus
from security import tombstones
from webhooks import limits

log = logging.getLogger(__name__)

#: Delays before retrying a message whose interpretation failed, attempt by attempt.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
)
#: Attempts after which a failed message stays failed (and visible) instead of retrying.
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
#: A message still "received" this long after arriving was dropped mid-work: sweep it.
STUCK_AFTER = timedelta(minutes=5)
#: A duplicate that arrives while the first copy is still being interpreted waits this long.
DUPLICATE_WAIT_SECONDS = 8.0


_INSERT = insert(InboundRow).returning(InboundRow.id)


@dataclass(frozen=True)
class Recorded:
    """The stored row and whether this call stored it (False: a provider's resend)."""

    row: InboundRow
    is_new: bool


def _media_json(msg: InboundMessage) -> str | None:
    if not msg.media:
        return None
    return json.dumps(
        [
            {"url": m.url, "content_type": m.content_type, "is_twilio": is_twilio_media_url(m.url)}
            for m in msg.media
        ]
    )


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
        "next_attempt_at": now + STUCK_AFTER,
        "spooled_at": spooled_at,
    }
    try:
        # A Core insert: the hottest write of the service, without the unit of work's cost.
        row_id = session.execute(_INSERT, values).scalar_one()
        session.commit()
    except IntegrityError:
        session.rollback()
    else:
        row = InboundRow(id=row_id, **values)
        make_transient_to_detached(row)
        session.add(row)
        return Recorded(row, True)
    existing = session.scalar(
        select(InboundRow).where(
            InboundRow.provider == msg.provider,
            InboundRow.provider_message_id == msg.provider_message_id,
        )
    )
    if existing is None:  # pragma: no cover - the unique key said it exists
        raise RuntimeError("inbound message vanished after a unique violation")
    return Recorded(existing, False)


def mark_failed(session: Session, row: InboundRow, error: BaseException) -> None:
    """Keep a message whose interpretation raised, with the error type, for the sweeper."""
    now = clock.now()
    row.attempts += 1
    row.status = InboundStatus.FAILED
    row.error = type(error).__name__
    if row.attempts >= MAX_ATTEMPTS:
        row.next_attempt_at = None  # kept as failed for an admin; never dropped
    else:
        row.next_attempt_at = now + RETRY_DELAYS[row.attempts - 1]
    row.reply = row.reply or t("reply.try_again")
    session.add(row)
    session.commit()
    log.warning("inbound id=%s failed attempt=%s error=%s", row.id, row.attempts, row.error)


def wait_for_reply(
    session: Session, row_id: int, timeout: float = DUPLICATE_WAIT_SECONDS
) -> str | None:
    """Wait for the first copy of a message to be answered, so a resend gets the same answer."""
    deadline = time.monotonic() + timeout
    while True:
        session.expire_all()
        row = session.get(InboundRow, row_id)
        session.commit()  # end the read so the first copy's writer is never held up
        if row is not None and row.status != InboundStatus.RECEIVED:
            return row.reply
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.05)


def interpret(session: Session, row: InboundRow, msg: InboundMessage, *, deliver: bool) -> str:
    """Hand a stored message to intake; on failure keep it as failed and answer neutrally.

    `deliver` is for messages answered after the fact (retries, the spool): their reply
    goes out through the outbox, since the webhook that brought them has long been answered.
    """
    now = clock.now()
    try:
        with derived_writes():
            reply = _interpret_once(session, row, msg, now, deliver)
    except Exception as exc:
        session.rollback()
        mark_failed(session, row, exc)
        return row.reply or t("reply.try_again")
    log.info(
        "inbound id=%s sid=%s channel=%s processed", row.id, msg.provider_message_id, msg.channel
    )
    return reply


def _interpret_once(
    session: Session, row: InboundRow, msg: InboundMessage, now: datetime, deliver: bool
) -> str:
    """One transaction: intake's work, the row marked processed, a late reply queued."""
    # Changes are flushed where intake asks (it flushes what later queries must see), and
    # otherwise once, at commit: the row's reporter and its outcome in one UPDATE.
    with session.no_autoflush:
        reply = pipeline.handle_message(session, row, msg, now)
    row.status, row.reply, row.processed_at = InboundStatus.PROCESSED, reply, now
    row.error, row.next_attempt_at = None, None
    if deliver and reply:
        from alerts.outbox import enqueue

        enqueue(
            session,
            key=f"reply:{row.id}",
            purpose="reply",
            to=msg.sender,
            channel=msg.channel,
            body=reply,
            reporter_id=row.reporter_id,
            now=now,
        )
    session.commit()
    return reply


def receive(session: Session, msg: InboundMessage) -> str:
    """Store a webhook's message, interpret it once, and return what to answer."""
    recorded = record_inbound(session, msg)
    row = recorded.row
    if recorded.is_new:
        pipeline.prepare(msg)
        verdict = limits.check(session, row, msg)
        if verdict.is_held:
            return verdict.reply
        return limits.answer(session, verdict, msg, interpret(session, row, msg, deliver=False))
    log.info("inbound id=%s sid=%s duplicate", row.id, msg.provider_message_id)
    if row.status == InboundStatus.LIMITED:
        return row.reply or ""  # held: answered as the first copy was, often not at all
    if row.status == InboundStatus.RECEIVED:
        return wait_for_reply(session, row.id) or t("reply.received")
    return row.reply or t("reply.received")


def as_message(row: InboundRow) -> InboundMessage:
    """Rebuild the channel-neutral message from a stored row (for retries)."""
    from channels import MediaRef

    media = tuple(MediaRef(m["url"], m["content_type"]) for m in json.loads(row.media or "[]"))
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
