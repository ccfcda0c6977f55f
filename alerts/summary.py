"""The weekly summary for coordinators: cases, time to acknowledgement, deadlines missed."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.messages import SMS_SEGMENT, STAFF_LANG, category_label, duration, places, sms_units
from alerts.notices import coordinators, tell
from core.i18n import t
from models import Case, Purpose


def week_before(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Return the last whole local week before `now`: Monday 00:00 to the next Monday."""
    local = now.astimezone(tz)
    monday = datetime.combine(local.date() - timedelta(days=local.weekday()), time(0), tzinfo=tz)
    return monday - timedelta(days=7), monday


def weekly_figures(session: Session, start: datetime, end: datetime) -> dict[str, Any]:
    """Return the figures of cases opened in [start, end): counts, acknowledgement, deadlines."""
    rows = session.execute(
        select(Case.category, Case.priority, Case.region_code, Case.opened_at)
        .add_columns(Case.ack_due_at, Case.acknowledged_at)
        .where(Case.opened_at >= start, Case.opened_at < end)
    ).all()
    waits = [(r.acknowledged_at - r.opened_at) for r in rows if r.acknowledged_at is not None]
    minutes = [w.total_seconds() / 60 for w in waits]
    # Acknowledged late, or still unacknowledged when its deadline passed within the week.
    missed = sum(1 for r in rows if (r.acknowledged_at or end) > r.ack_due_at)
    regencies = Counter(".".join(r.region_code.split(".")[:2]) for r in rows)
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "cases": len(rows),
        "by_category": dict(Counter(r.category for r in rows).most_common()),
        "by_priority": dict(Counter(r.priority for r in rows).most_common()),
        "by_regency": [
            {"code": code, "name": places(session, code)[0], "cases": n}
            for code, n in regencies.most_common()
        ],
        "acknowledged": len(waits),
        "unacknowledged": len(rows) - len(waits),
        "ack_minutes_median": round(statistics.median(minutes), 1) if minutes else None,
        "ack_minutes_worst": round(max(minutes), 1) if minutes else None,
        "deadlines_missed": missed,
    }


def summary_text(figures: dict[str, Any], start: datetime, end: datetime, tz: ZoneInfo) -> str:
    """Return the headline figures in one SMS, naming as many categories as fit."""
    median, worst = figures["ack_minutes_median"], figures["ack_minutes_worst"]
    params = {
        "start": start.astimezone(tz).strftime("%d/%m"),
        "end": (end - timedelta(seconds=1)).astimezone(tz).strftime("%d/%m"),
        "cases": figures["cases"],
        "median": duration(None if median is None else timedelta(minutes=median)),
        "worst": duration(None if worst is None else timedelta(minutes=worst)),
        "missed": figures["deadlines_missed"],
        "open": figures["unacknowledged"],
    }
    counts = [f"{category_label(c)} {n}" for c, n in figures["by_category"].items()]
    for shown in range(len(counts), -1, -1):
        text = t("alert.summary", STAFF_LANG, categories=", ".join(counts[:shown]) or "-", **params)
        if sms_units(text) <= SMS_SEGMENT:
            return text
    return text


def send_weekly_summary(session: Session, now: datetime, tz: ZoneInfo) -> int:
    """Write last week's summary to every active coordinator; return how many were written."""
    start, end = week_before(now, tz)
    figures = weekly_figures(session, start, end)
    body = summary_text(figures, start, end, tz)
    key = f"summary:{start.date().isoformat()}"
    told = tell(
        session, coordinators(session), key=key, body=body, purpose=Purpose.SUMMARY, now=now
    )
    return len(told)
