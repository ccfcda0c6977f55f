"""The audit trail of reads that span many cases (listings), one row per listing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class AuditEvent(Base):
    """Someone saw a list of cases: who, when, which listing, and which cases it showed.

    A case's own reads are lines of its timeline (CaseEvent `read`); a listing would add a
    line to every case it shows, so it is one row here instead.
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    #: What was listed: `cases.list`, `sync.changes`.
    action: Mapped[str] = mapped_column(String(32))
    #: JSON: the filters asked for and the references shown (no personal data).
    detail: Mapped[str] = mapped_column(Text)
