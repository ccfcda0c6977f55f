"""Jobs that make sure no inbound message is lost: retry failures, replay the spool, and
tell admins when no worker is taking messages."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError

from alerts.outbox import notify_admins
from channels import CHANNELS, ChannelError
from core.db import db, due_rows
from core.jobs import Job, register
from models import InboundMessage as InboundRow
from models import InboundStatus
from webhooks import spool
from webhooks.inbound import record_inbound
from webhooks.worker import BEHIND_AFTER, oldest_waiting

log = logging.getLogger(__name__)
BATCH = 100
#: Interval triggers count from a fixed origin, so every process agrees on the moments.
_ORIGIN = datetime(2024, 1, 1, tzinfo=UTC)


def retry_inbound(now: datetime) -> str:
    """Put failed messages that are due back in the worker's queue, oldest first.

    The worker interprets them as it does every message: in their sender's order, under
    the same abuse limits.
    """
    due = select(InboundRow.id).where(
        InboundRow.status == InboundStatus.FAILED, InboundRow.next_attempt_at <= now
    )
    ids = due_rows(db.session, due, InboundRow.next_attempt_at, limit=BATCH)
    if ids:
        db.session.execute(
            update(InboundRow)
            .where(InboundRow.id.in_(ids), InboundRow.status == InboundStatus.FAILED)
            .values(status=InboundStatus.RECEIVED, next_attempt_at=now)
        )
    db.session.commit()
    return f"{len(ids)} failed messages queued again"


def replay_spool(now: datetime) -> str:
    """Move spooled webhooks into the database, each exactly once, then delete their files.

    The worker interprets them as it does every message (and under the same limits).
    """
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
            stored += 1
        else:
            duplicates += 1
        spool.remove(path)
    return f"{stored} replayed, {duplicates} already stored"


def check_worker(now: datetime) -> str:
    """Tell admins when a message has waited for a worker over two minutes (once an hour)."""
    since = oldest_waiting(db.session)
    if since is None or now - since <= BEHIND_AFTER:
        db.session.commit()
        return "worker keeping up"
    minutes = int((now - since).total_seconds() // 60)
    told = notify_admins(db.session, "alert.admin.worker_behind", now, minutes=minutes)
    db.session.commit()
    log.warning("inbound: oldest waiting message is %d minutes old", minutes)
    return f"oldest waiting message {minutes} min old; {told} admins told"


def register_jobs() -> None:
    """Put the inbound jobs on the schedule."""
    register(Job("inbound.retry", IntervalTrigger(seconds=30), retry_inbound))
    register(Job("inbound.replay_spool", IntervalTrigger(seconds=30), replay_spool))
    register(Job("worker.liveness", IntervalTrigger(minutes=1, start_date=_ORIGIN), check_worker))
