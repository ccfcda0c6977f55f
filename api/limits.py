"""Limits on what one API token may do: requests a minute and a day, reports in a batch and a day.

A stolen or runaway facilitator token must not be able to open hundreds of emergency cases
and page every officer of the province in a second. Requests are counted per token in the
database (so the limits hold across web processes and machines), in fixed UTC windows, and
committed before the request's work, so refused and failing requests count too. Past a
limit the API answers 429 with Retry-After and the usual error shape. Inside a sync batch
each item past a limit is answered `rate_limited` on its own, with `retry_after`: the phone
keeps it and sends it again; nothing is stored for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, request
from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from api import tokens
from core import clock
from core.config import ConfigError
from core.db import db
from core.errors import ApiError
from models import Account, ApiToken, ApiUsage, Priority, Report

#: Setting, and what it limits.
SETTINGS = {
    "SIGAP_API_REQUESTS_PER_MINUTE": "requests one token makes in a clock minute",
    "SIGAP_API_REQUESTS_PER_DAY": "requests one token makes in a UTC day",
    "SIGAP_API_REPORTS_PER_DAY": "reports one facilitator files by sync in a UTC day",
    "SIGAP_API_EMERGENCIES_PER_BATCH": "darurat reports filed from one sync batch",
    "SIGAP_API_JOINS_PER_CASE_PER_DAY": "reports one facilitator adds to one case in a UTC day",
}
#: Usage rows older than this are deleted as new windows open.
KEEP_USAGE = timedelta(days=2)
#: Seconds a phone waits before sending emergencies held back from a batch.
NEXT_BATCH_SECONDS = 60


@dataclass(frozen=True)
class ApiPolicy:
    """The limits, from the configuration."""

    requests_per_minute: int
    requests_per_day: int
    reports_per_day: int
    emergencies_per_batch: int
    joins_per_case_per_day: int

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> ApiPolicy:
        """Read the limits, refusing anything but a whole number of at least 1."""
        values = []
        for key in SETTINGS:
            raw = config.get(key)
            try:
                value = int(str(raw))
            except ValueError:
                raise ConfigError(f"{key} must be a whole number, not {raw!r}") from None
            if value < 1:
                raise ConfigError(f"{key} must be at least 1")
            values.append(value)
        return cls(*values)


def policy() -> ApiPolicy:
    """The limits of the running app."""
    return ApiPolicy.from_config(current_app.config)


def day_start(now: datetime) -> datetime:
    """The first moment of the UTC day of `now`."""
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def seconds_to_next_day(now: datetime) -> int:
    """Seconds until the next UTC day begins (at least 1)."""
    return max(1, int((day_start(now) + timedelta(days=1) - now).total_seconds()))


def too_many(message: str, retry_after: int) -> ApiError:
    """The 429 answer, with Retry-After in seconds."""
    return ApiError(429, "rate_limited", message, headers={"Retry-After": str(retry_after)})


def charge_request() -> None:
    """Count this request against its token's limits, or answer 429 (a before_request).

    Runs after authentication, so the token is known to be valid.
    """
    token = tokens.bearer(request.headers.get("Authorization"))
    token_id = db.session.scalar(
        select(ApiToken.id).where(ApiToken.token_hash == tokens.token_hash(token))
    )
    if token_id is None:
        return
    limits, now = policy(), clock.now()
    minute = now.replace(second=0, microsecond=0)
    day = day_start(now)
    session = db.session
    per_minute = _count(session, token_id, "minute", minute)
    per_day = _count(session, token_id, "day", day)
    if per_minute == 1:
        session.execute(
            delete(ApiUsage).where(
                ApiUsage.token_id == token_id, ApiUsage.starts_at < now - KEEP_USAGE
            )
        )
    # Counted even when the request then fails: refused requests are requests too.
    session.commit()
    if per_day > limits.requests_per_day:
        raise too_many(
            f"At most {limits.requests_per_day} requests a day with one token.",
            seconds_to_next_day(now),
        )
    if per_minute > limits.requests_per_minute:
        wait = max(1, int((minute + timedelta(minutes=1) - now).total_seconds()))
        raise too_many(f"At most {limits.requests_per_minute} requests a minute.", wait)


def _count(session: Session, token_id: int, span: str, starts_at: datetime) -> int:
    """Add one to a window's count and return the new count, in one statement."""
    dialect = {"sqlite": sqlite, "postgresql": postgresql}[session.get_bind().dialect.name]
    table = ApiUsage.__table__
    statement = (
        dialect.insert(table)
        .values(token_id=token_id, span=span, starts_at=starts_at, count=1)
        .on_conflict_do_update(
            index_elements=[table.c.token_id, table.c.span, table.c.starts_at],
            set_={"count": table.c.count + 1},
        )
        .returning(table.c.count)
    )
    return int(session.execute(statement).scalar_one())


@dataclass
class BatchBudget:
    """What one sync batch may still file: reports today, emergencies in this batch."""

    reports_left: int
    emergencies_left: int
    joins_per_case: int
    retry_tomorrow: int

    @classmethod
    def for_batch(cls, session: Session, facilitator: Account, now: datetime) -> BatchBudget:
        """Start a batch's budget from what the facilitator filed today."""
        limits = policy()
        filed_today = session.scalar(
            select(func.count(Report.id)).where(
                Report.facilitator_id == facilitator.id, Report.received_at >= day_start(now)
            )
        )
        return cls(
            reports_left=limits.reports_per_day - int(filed_today or 0),
            emergencies_left=limits.emergencies_per_batch,
            joins_per_case=limits.joins_per_case_per_day,
            retry_tomorrow=seconds_to_next_day(now),
        )

    def refusal(self, priority: str) -> tuple[str, int] | None:
        """Return why a new report may not be filed now and when to try again, or None."""
        if self.reports_left <= 0:
            return "Daily limit of reports from this account reached.", self.retry_tomorrow
        if priority == Priority.DARURAT and self.emergencies_left <= 0:
            return "Too many emergencies in one batch: send the rest next.", NEXT_BATCH_SECONDS
        return None

    def spend(self, priority: str) -> None:
        """Count a report filed."""
        self.reports_left -= 1
        if priority == Priority.DARURAT:
            self.emergencies_left -= 1

    def joined_too_often(
        self, session: Session, facilitator: Account, case_id: int, now: datetime
    ) -> bool:
        """Say whether the facilitator added more reports to this case today than allowed."""
        joined = session.scalar(
            select(func.count(Report.id)).where(
                Report.facilitator_id == facilitator.id,
                Report.case_id == case_id,
                Report.received_at >= day_start(now),
            )
        )
        return int(joined or 0) > self.joins_per_case
