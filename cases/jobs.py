"""Scheduled case work: police-report deadlines, follow-up task reminders and digests,
cluster alerts. Each job works on what is due at `now` and is safe to run twice.
"""

from __future__ import annotations

from datetime import UTC, datetime

from apscheduler.triggers.interval import IntervalTrigger

from alerts.jobs import Job, register
from alerts.rosters import zone
from cases import police
from core.db import db

#: Interval triggers count from a fixed origin, so every process agrees on the moments.
_ORIGIN = datetime(2024, 1, 1, tzinfo=UTC)


def police_deadlines(now: datetime) -> str:
    """Remind at 48 hours and escalate at 72 hours the unreported sexual-violence cases."""
    done = police.check_deadlines(db.session, now, zone())
    db.session.commit()
    return f"reminded {done[police.REMINDER]}, escalated {done[police.OVERDUE]}"


def register_jobs(timezone: str) -> None:
    """Put the case-work jobs on the schedule."""
    every_5_minutes = IntervalTrigger(minutes=5, start_date=_ORIGIN)
    register(Job("cases.police_deadlines", every_5_minutes, police_deadlines))
