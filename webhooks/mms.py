"""MMS through a gateway phone (SMSGate): one MMS, one message, whether or not its content came.

The phone sends two events for one MMS. `mms:received` comes when the network announces it
(WAP push: the sender, a size, a transaction id; no content). `mms:downloaded` comes once
the phone has fetched it, with its text and its attachments inline in base64. The spec gives
them no common id: the first names the MMS by the network's message or transaction id, the
second by the phone's own message id. So the halves are paired by sender, oldest first:

- content is stored at once as the message to interpret, its attachments encrypted in the
  media store first (refused ones recorded as refused), and takes its sender's oldest
  waiting notice;
- a notice takes its sender's oldest unpaired content of the last CONTENT_WAIT, or waits
  CONTENT_WAIT for it;
- a notice still waiting after that becomes a message of its own, without words, with one
  attachment recorded as not downloaded: the sender is asked what happened and where, as
  for a photo alone, and staff see that an MMS came without its content.

Content arriving after its notice stopped waiting is a message of its own: never dropped.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Update, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from channels import InboundMessage, MediaRef
from channels import smsgate as gate
from core import media_store
from core.crypto import lookup_hash
from core.db import affected, db, due_rows
from core.jobs import Job, register
from models import Channel, MmsArrival, MmsHalf
from webhooks.inbound import record_inbound

log = logging.getLogger(__name__)
#: How long a notice waits for its content: phones fetch an MMS within seconds on mobile
#: data, within minutes on a weak signal; past this the sender is answered without it.
CONTENT_WAIT = timedelta(minutes=10)
#: Halves are kept this long after they stop waiting, so a resent event is still known.
KEEP = timedelta(days=3)
#: What the message made of a notice alone says it carried.
MMS_TYPE = "application/vnd.wap.mms-message"
BATCH = 50
_ORIGIN = datetime(2024, 1, 1, tzinfo=UTC)


def store(session: Session, half: gate.MmsNotice | gate.MmsContent, now: datetime) -> bool:
    """Record one half of an MMS and commit; return False for a resent event."""
    if isinstance(half, gate.MmsNotice):
        return _store_notice(session, half, now)
    return _store_content(session, half, now)


def _store_content(session: Session, content: gate.MmsContent, now: datetime) -> bool:
    """Store the attachments encrypted, then the message with them, in one commit."""
    msg = content.message
    refs = [_stored(part) for part in content.parts]
    written = [r.stored_as for r in refs if r.stored_as is not None]
    is_new = False
    try:
        arrival = _arrival(msg.provider_message_id, MmsHalf.CONTENT, msg.sender, now)
        session.add(arrival)
        session.flush()
        arrival.paired_id = _take(session, arrival, MmsHalf.NOTICE, None)
        # The message commits the arrival with it; a resend finds its first copy instead.
        is_new = record_inbound(session, replace(msg, media=tuple(refs))).is_new
    except IntegrityError:
        pass  # the event came before: its files and message are stored already
    finally:
        if not is_new:
            session.rollback()
            for name in written:
                media_store.remove(name)
    return is_new


def _arrival(event_id: str, kind: MmsHalf, sender: str, now: datetime) -> MmsArrival:
    """One half of an MMS as it arrives, known by its sender's keyed hash."""
    return MmsArrival(event_id=event_id, kind=kind, sender_hash=lookup_hash(sender), arrived_at=now)


def _stored(part: gate.MmsPart) -> MediaRef:
    """Keep one attachment's bytes encrypted; say why when they are not kept."""
    if part.content is None:
        return MediaRef(part.name, part.content_type, size=part.size, refused=part.refused)
    name = media_store.store(part.content)
    return MediaRef(part.name, part.content_type, stored_as=name, size=len(part.content))


def _store_notice(session: Session, notice: gate.MmsNotice, now: datetime) -> bool:
    """Pair the notice with content already here, or let it wait for it."""
    arrival = _arrival(notice.event_id, MmsHalf.NOTICE, notice.sender, now)
    session.add(arrival)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return False
    arrival.paired_id = _take(session, arrival, MmsHalf.CONTENT, now - CONTENT_WAIT)
    if arrival.paired_id is None:
        arrival.sender, arrival.due_at = notice.sender, now + CONTENT_WAIT
    session.commit()
    return True


def _take(
    session: Session, arrival: MmsArrival, kind: MmsHalf, since: datetime | None
) -> int | None:
    """Pair `arrival` with its sender's oldest unpaired half of `kind`; return its id.

    A conditional update claims the other half, so two arrivals never take the same one,
    nor does the job answer a notice that content has just taken.
    """
    query = (
        select(MmsArrival.id)
        .where(MmsArrival.sender_hash == arrival.sender_hash, MmsArrival.kind == kind)
        .where(MmsArrival.paired_id.is_(None), MmsArrival.id != arrival.id)
        .order_by(MmsArrival.arrived_at, MmsArrival.id)
        .limit(5)
    )
    if kind is MmsHalf.NOTICE:
        query = query.where(MmsArrival.due_at.is_not(None))  # still waiting
    else:
        query = query.where(MmsArrival.arrived_at >= since)
    claim = update(MmsArrival).where(MmsArrival.paired_id.is_(None))
    if kind is MmsHalf.NOTICE:
        claim = claim.where(MmsArrival.due_at.is_not(None))
    claim = claim.values(paired_id=arrival.id, due_at=None, sender=None)
    for other in session.scalars(query).all():
        if _claimed(session, claim.where(MmsArrival.id == other)):
            return other
    return None


def _claimed(session: Session, statement: Update) -> bool:
    """Run a conditional update of one row; return whether it matched (nobody was first)."""
    return affected(session.execute(statement.execution_options(synchronize_session=False))) == 1


def answer_waiting(now: datetime) -> str:
    """Make each notice whose content never came a message of its own; forget old halves."""
    session = db.session
    due = due_rows(
        session, select(MmsArrival).where(MmsArrival.due_at <= now), MmsArrival.due_at, limit=BATCH
    )
    answered = 0
    for notice in due:
        sender, event_id = notice.sender, notice.event_id
        claim = (
            update(MmsArrival)
            .where(MmsArrival.id == notice.id, MmsArrival.due_at.is_not(None))
            .values(due_at=None, sender=None)
        )
        if sender is None or not _claimed(session, claim):
            session.rollback()  # its content came meanwhile
            continue
        record_inbound(session, _without_content(event_id, sender))  # commits the claim
        session.commit()
        answered += 1
    session.execute(
        delete(MmsArrival).where(MmsArrival.due_at.is_(None), MmsArrival.arrived_at < now - KEEP)
    )
    session.commit()
    return f"{len(due)} MMS notices due, {answered} answered without content"


def _without_content(event_id: str, sender: str) -> InboundMessage:
    """The message an MMS notice becomes when its content never came: no words, one file
    recorded as not downloaded."""
    return InboundMessage(
        provider=gate.PROVIDER,
        channel=Channel.SMS,
        provider_message_id=event_id,
        sender=sender,
        recipient="",
        text="",
        media=(MediaRef(f"smsgate:mms/{event_id}", MMS_TYPE, refused="not_downloaded"),),
    )


def register_jobs() -> None:
    """Put the MMS job on the schedule."""
    register(
        Job("smsgate.mms_wait", IntervalTrigger(minutes=1, start_date=_ORIGIN), answer_waiting)
    )
