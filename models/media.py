"""Photos, voice notes and documents people send: fetched by a job, stored encrypted."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.crypto import Encrypted
from models.base import Base, str_enum, utcnow


class MediaStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for the fetch job
    STORED = "stored"  # fetched and stored encrypted under instance/media
    REFUSED = "refused"  # not on the provider's own hosts, too large or of a refused type
    FAILED = "failed"  # the provider did not give it after every attempt


class MediaFile(Base):
    __tablename__ = "media_file"
    __table_args__ = (
        #: The fetch job reads only pending rows that are due.
        Index("ix_media_file_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    inbound_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_message.id"), index=True
    )
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("reporter.id"), index=True)
    #: The case it belongs to; set when its message joined one, or by the job once one opens.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    #: Where the provider announced it; may carry account ids, so encrypted.
    url: Mapped[str] = mapped_column(Encrypted())
    content_type: Mapped[str] = mapped_column(String(100))
    status: Mapped[MediaStatus] = mapped_column(str_enum(MediaStatus), default=MediaStatus.PENDING)
    #: Why it was refused or failed: a short code, never the URL.
    reason: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int | None]
    #: File name under instance/media; the bytes there are encrypted.
    path: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    fetched_at: Mapped[datetime | None]
