"""Scheduled case work: police-report deadlines, follow-up task reminders and digests,
cluster alerts. Each job works on what is due at `now` and is safe to run twice.
"""

from __future__ import annotations

from datetime import UTC, datetime

from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from alerts import clusters
from alerts.digests import DIGEST_TIMES
from cases import police, tasks
from core import deployment
from core.db import db
from core.jobs import Job, register

#: Interval triggers count from a fixed origin, so every process agrees on the moments.
_ORIGIN = datetime(2024, 1, 1, tzinfo=UTC)


def police_deadlines(now: datetime) -> str:
    """Remind at 48 hours and escalate at 72 hours the unreported sexual-violence cases."""
    done = police.check_deadlines(db.session, now, deployment.current().tz)
    db.session.commit()
    return f"reminded {done[police.REMINDER]}, escalated {done[police.OVERDUE]}"


def task_reminders(now: datetime) -> str:
    """Tell agencies of their follow-up tasks that have come due."""
    done = tasks.remind_due(db.session, now, deployment.current().tz)
    db.session.commit()
    return f"{done} tasks reminded"


def task_digests(now: datetime) -> str:
    """Send each agency its open follow-up tasks at the digest times."""
    done = tasks.send_digests(db.session, now, deployment.current().tz)
    db.session.commit()
    return f"{done} task digests"


def cluster_alerts(now: datetime) -> str:
    """Tell the coordinators of new clusters of reports."""
    done = clusters.check_clusters(db.session, now)
    db.session.commit()
    return f"{done} clusters"


def register_jobs(timezone: str) -> None:
    """Put the case-work jobs on the schedule."""
    every_5_minutes = IntervalTrigger(minutes=5, start_date=_ORIGIN)
    register(Job("cases.police_deadlines", every_5_minutes, police_deadlines))
    register(Job("cases.task_reminders", every_5_minutes, task_reminders))
    register(Job("cases.clusters", IntervalTrigger(minutes=10, start_date=_ORIGIN), cluster_alerts))
    at_digest_times = OrTrigger(
        [CronTrigger(hour=t.hour, minute=t.minute, timezone=timezone) for t in DIGEST_TIMES]
    )
    register(Job("cases.task_digest", at_digest_times, task_digests))
