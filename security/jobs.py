"""The retention job: each night, purge what is processed and older than the retention."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger
from flask import current_app

from core.config import ConfigError
from core.db import db
from core.jobs import Job, register
from security.retention import purge_inbound, purge_spool
from webhooks import media, spool

log = logging.getLogger(__name__)
BATCH = 500
#: One run deletes at most this many batches, so it never holds the scheduler for long;
#: whatever is left goes the next night.
MAX_BATCHES = 40


def retention_days(config: dict[str, object]) -> int:
    """Return SIGAP_RETENTION_DAYS as a whole number of days, at least one."""
    raw = config.get("SIGAP_RETENTION_DAYS")
    try:
        days = int(str(raw))
    except ValueError:
        days = 0
    if days < 1:
        raise ConfigError(f"SIGAP_RETENTION_DAYS must be a whole number of days, not {raw!r}")
    return days


def purge_expired(now: datetime) -> str:
    """Purge raw messages, leftover spool files and unattached media past the retention."""
    cutoff = now - timedelta(days=retention_days(current_app.config))
    # Spool first: a file is only deleted while the database still shows its message done.
    files = purge_spool(db.session, spool.directory(), cutoff)
    db.session.commit()
    messages = purged = 0
    for _ in range(MAX_BATCHES):
        purged = purge_inbound(db.session, cutoff, BATCH)
        db.session.commit()
        messages += purged
        if purged < BATCH:
            break
    # A photo or voice note that never joined a case goes with the messages of its time;
    # one on a case stays with the case (erasure deletes it).
    media_files = media.purge_unattached(db.session, cutoff)
    db.session.commit()
    more = ", more remain" if purged == BATCH else ""
    log.info(
        "retention: %s messages, %s spool files, %s media purged%s",
        messages,
        files,
        media_files,
        more,
    )
    return f"{messages} messages, {files} spool files, {media_files} media purged{more}"


def register_jobs(timezone: str) -> None:
    """Put the retention job on the schedule: 02:00 local time, any time that night."""
    register(
        Job(
            "security.retention",
            CronTrigger(hour=2, minute=0, timezone=timezone),
            purge_expired,
            grace=timedelta(hours=12),
            coalesce=True,
        )
    )
