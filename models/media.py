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


class MmsHalf(enum.StrEnum):
    NOTICE = "notice"  # the network announced an MMS (SMSGate's mms:received)
    CONTENT = "content"  # the phone fetched it (mms:downloaded); stored as a message


class MmsArrival(Base):
    """One half of an MMS relayed by a gateway phone: the notice or the content.

    The two halves share no id, so they are paired by sender, oldest first; a notice still
    unpaired at `due_at` becomes a message of its own (webhooks/mms.py).
    """

    __tablename__ = "mms_arrival"
    __table_args__ = (
        #: Pairing looks for a sender's unpaired halves of the other kind, oldest first.
        Index("ix_mms_arrival_pairing", "sender_hash", "kind", "arrived_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The gateway's event id: a resent event finds its first copy.
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[MmsHalf] = mapped_column(str_enum(MmsHalf))
    sender_hash: Mapped[str] = mapped_column(String(64))
    #: Kept only while a notice waits for its content, to answer the sender if it never comes.
    sender: Mapped[str | None] = mapped_column(Encrypted())
    arrived_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The other half, once paired.
    paired_id: Mapped[int | None]
    #: A notice waiting for its content: when it stops waiting and is answered on its own.
    due_at: Mapped[datetime | None] = mapped_column(index=True)
