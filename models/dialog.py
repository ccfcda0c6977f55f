"""A reporter's guided dialog: the few questions asked about a report still being filled."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from core.crypto import Encrypted
from models.base import Base, str_enum, utcnow


class DialogStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Dialog(Base):
    __tablename__ = "dialog"
    __table_args__ = (
        #: The expiry job reads only open dialogs that are due.
        Index("ix_dialog_due", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("reporter.id"), index=True)
    #: The first message of the report, so the report points at where it began.
    inbound_message_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_message.id"))
    status: Mapped[DialogStatus] = mapped_column(str_enum(DialogStatus), default=DialogStatus.OPEN)
    #: JSON: what was said, what triage found, which questions remain; encrypted (free text).
    state: Mapped[str] = mapped_column(Encrypted())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
