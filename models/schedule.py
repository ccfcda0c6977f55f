"""What the scheduler needs to run each job once: a leader lease and a claim per period."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class Lease(Base):
    """A named lock with an expiry: whoever holds it unexpired is the one scheduler."""

    __tablename__ = "lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(80))
    expires_at: Mapped[datetime]


class JobRun(Base):
    """One run of one job for one scheduled moment; the unique key makes it happen once."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    #: The scheduled moment this run stands for, not when it happened to start.
    due_at: Mapped[datetime]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(200))
