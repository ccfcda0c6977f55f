"""Who is on call for an agency, and how far each case's alert has escalated."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import ForeignKey, SmallInteger, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, str_enum, utcnow


class RosterRole(enum.StrEnum):
    PRIMARY = "primary"  # gets the alert first
    BACKUP = "backup"  # gets it when the primary does not acknowledge
    SUPERVISOR = "supervisor"  # gets it with the backup


class RosterSlot(Base):
    """One weekly on-call window: weekday, local start and end, who, in which role."""

    __tablename__ = "roster_slot"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    #: 0 = Monday … 6 = Sunday, in the deployment's zone (SIGAP_TIMEZONE).
    weekday: Mapped[int] = mapped_column(SmallInteger)
    #: Local wall-clock times; an end at or before the start runs past midnight into the
    #: next day, and an end equal to the start covers 24 hours.
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    role: Mapped[RosterRole] = mapped_column(str_enum(RosterRole))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RosterOverride(Base):
    """A person standing in for a role on whole local days, replacing the weekly pattern."""

    __tablename__ = "roster_override"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    #: First and last local day covered, both included.
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    role: Mapped[RosterRole] = mapped_column(str_enum(RosterRole))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertChain(Base):
    """The alerting of one case to one agency: how far it escalated and when it acts next."""

    __tablename__ = "alert_chain"
    __table_args__ = (UniqueConstraint("case_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    #: 0 = first alert, 1 = alert again, 2 = backup and supervisor, 3+ = everyone again.
    level: Mapped[int] = mapped_column(default=0)
    #: When escalation next looks at this chain; NULL once stopped, so the escalation job's
    #: index range holds only live chains however many closed cases there are.
    next_at: Mapped[datetime | None] = mapped_column(index=True)
    #: When the case goes out in the agency's next digest (biasa cases); NULL when sent.
    digest_at: Mapped[datetime | None] = mapped_column(index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    stopped_at: Mapped[datetime | None]
    #: Why it stopped: acknowledged, closed, exhausted.
    stop_reason: Mapped[str | None] = mapped_column(String(20))
