"""The alerts package's scheduled jobs: drain the outbox, escalate, digests, weekly summary."""

from __future__ import annotations

import time as monotonic
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import current_app

from alerts import digests, escalation, outbox, summary
from alerts.scheduler import holder_id
from channels import make_provider
from core import deployment
from core.db import db
from core.jobs import Job, register

#: Interval triggers count from a fixed origin, so every process agrees on the moments.
_ORIGIN = datetime(2024, 1, 1, tzinfo=UTC)
#: One drain run stops taking new batches after this long, well inside its 10 s period.
DRAIN_BUDGET_SECONDS = 8.0


def drain_outbox(now: datetime) -> str:
    """Send what is due in the outbox, batch after batch, for up to a few seconds."""
    provider = make_provider(current_app.config)
    total = outbox.DrainStats()
    started = monotonic.monotonic()
    try:
        while True:
            stats = outbox.drain(now, provider, holder_id())
            for name, value in vars(stats).items():
                setattr(total, name, getattr(total, name) + value)
            if stats.claimed < 100 or monotonic.monotonic() - started > DRAIN_BUDGET_SECONDS:
                break
    finally:
        close = getattr(provider, "close", None)
        if close is not None:
            close()
    return str(total)


def escalate(now: datetime) -> str:
    """Escalate every chain that is due."""
    stats = escalation.escalate(db.session, now, deployment.current().tz)
    db.session.commit()
    return str(stats)


def send_digests(now: datetime) -> str:
    """Write the digests due now."""
    written = digests.send_digests(db.session, now, deployment.current().tz)
    db.session.commit()
    return f"{written} digests"


def send_weekly_summary(now: datetime) -> str:
    """Write last week's summary to the coordinators."""
    written = summary.send_weekly_summary(db.session, now, deployment.current().tz)
    db.session.commit()
    return f"{written} summaries"


def register_jobs(timezone: str) -> list[Job]:
    """Put the alerts jobs on the schedule, cron times in the deployment's zone."""
    # Grace: how late a missed moment may still run. Draining and escalating catch up by
    # themselves on the next run, so a short grace; a digest over two hours late would
    # arrive with the next one anyway; a weekly summary is still worth sending that day.
    # Coalesce everywhere: after downtime, one run covers every missed moment, because each
    # job works on everything due at `now`, not on one moment's share.
    return [
        register(
            Job(
                "outbox.drain",
                IntervalTrigger(seconds=10, start_date=_ORIGIN),
                drain_outbox,
                grace=timedelta(seconds=30),
                coalesce=True,
            )
        ),
        register(
            Job(
                "alerts.escalate",
                IntervalTrigger(minutes=1, start_date=_ORIGIN),
                escalate,
                grace=timedelta(minutes=5),
                coalesce=True,
            )
        ),
        register(
            Job(
                "alerts.digest",
                OrTrigger(
                    [
                        CronTrigger(hour=7, minute=30, timezone=timezone),
                        CronTrigger(hour=13, minute=0, timezone=timezone),
                    ]
                ),
                send_digests,
                grace=timedelta(hours=2),
                coalesce=True,
            )
        ),
        register(
            Job(
                "alerts.weekly_summary",
                CronTrigger(day_of_week="mon", hour=7, minute=0, timezone=timezone),
                send_weekly_summary,
                grace=timedelta(hours=12),
                coalesce=True,
            )
        ),
    ]
