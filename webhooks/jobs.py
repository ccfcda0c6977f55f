"""Jobs that make sure no inbound message is lost: retry failures, replay the spool."""

from __future__ import annotations

import logging
from datetime import datetime

from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from alerts.jobs import Job, register
from channels import CHANNELS, ChannelError
from core.db import db
from models import InboundMessage as InboundRow
from models import InboundStatus
from webhooks import spool
from webhooks.inbound import as_message, interpret, record_inbound

log = logging.getLogger(__name__)
BATCH = 100


def retry_inbound(now: datetime) -> str:
    """Interpret again the messages that failed, or were dropped mid-work, and are due."""
    rows = db.session.scalars(
        select(InboundRow)
        .where(InboundRow.status.in_([InboundStatus.FAILED, InboundStatus.RECEIVED]))
        .where(InboundRow.next_attempt_at <= now)
        .order_by(InboundRow.next_attempt_at)
        .limit(BATCH)
    ).all()
    db.session.commit()
    for row in rows:
        interpret(db.session, row, as_message(row), deliver=True)
    done = sum(row.status == InboundStatus.PROCESSED for row in rows)
    return f"{done} of {len(rows)} retried messages processed"


def replay_spool(now: datetime) -> str:
    """Move spooled webhooks into the database, each exactly once, then delete their files."""
    stored = duplicates = 0
    for path in spool.pending(spool.directory()):
        item = spool.read(path)
        try:
            msg = CHANNELS[item.kind].parse_inbound(item.form)
        except ChannelError:
            log.error("spool file %s cannot be parsed; kept for an admin", path.name)
            continue
        try:
            recorded = record_inbound(db.session, msg, spooled_at=item.received_at)
        except DBAPIError:
            db.session.rollback()
            return f"database still unavailable; {stored} replayed"
        if recorded.is_new:
            interpret(db.session, recorded.row, msg, deliver=True)
            stored += 1
        else:
            duplicates += 1
        spool.remove(path)
    return f"{stored} replayed, {duplicates} already stored"


def register_jobs() -> None:
    """Put the inbound jobs on the schedule."""
    register(Job("retry-inbound", IntervalTrigger(seconds=30), retry_inbound))
    register(Job("replay-spool", IntervalTrigger(seconds=30), replay_spool))
