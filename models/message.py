"""Raw inbound messages, stored before anything interprets them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from core.crypto import Encrypted
from models.base import Base, str_enum, utcnow


class InboundStatus(enum.StrEnum):
    RECEIVED = "received"  # stored, waiting for the worker
    PROCESSED = "processed"  # interpreted; `reply` holds what the sender was told
    FAILED = "failed"  # interpretation raised; the sweeper retries it
    LIMITED = "limited"  # held by the abuse limits; interpreted once the sender is quiet


class InboundMessage(Base):
    __tablename__ = "inbound_message"
    __table_args__ = (
        UniqueConstraint("provider", "provider_message_id"),
        #: The retry sweeper reads only failed rows that are due; the liveness alarm the
        #: oldest waiting one.
        Index("ix_inbound_message_retry", "status", "next_attempt_at"),
        #: The worker's queue: only the messages waiting for it, in arrival order.
        Index(
            "ix_inbound_message_queue",
            "id",
            sqlite_where=text("status = 'received'"),
            postgresql_where=text("status = 'received'"),
        ),
        #: The abuse limits count a sender's recent messages (webhooks/limits.py).
        Index("ix_inbound_message_sender_window", "sender_hash", "received_at"),
        #: The retention job reads only processed rows older than the retention period.
        Index("ix_inbound_message_purge", "status", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    provider_message_id: Mapped[str] = mapped_column(String(64))
    sender_hash: Mapped[str] = mapped_column(String(64), index=True)
    sender: Mapped[str] = mapped_column(Encrypted())
    body: Mapped[str] = mapped_column(Encrypted())
    #: JSON list of {url, content_type}: references only, never fetched from other hosts.
    media: Mapped[str | None] = mapped_column(Encrypted())
    profile_name: Mapped[str | None] = mapped_column(Encrypted())
    button_payload: Mapped[str | None] = mapped_column(Encrypted())
    status: Mapped[InboundStatus] = mapped_column(
        str_enum(InboundStatus), default=InboundStatus.RECEIVED
    )
    #: What the sender was answered, so a resent webhook gets the same answer.
    reply: Mapped[str | None] = mapped_column(Encrypted())
    #: An error type or code, never a message that could quote the text.
    error: Mapped[str | None] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(default=0)
    #: Failed: when the sweeper puts it back in the worker's queue. Received: since when
    #: it has waited there. Limited: when its sender may be quiet enough to release it.
    next_attempt_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    #: Set when the message came through the spool while the database was down.
    spooled_at: Mapped[datetime | None]
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("reporter.id"), index=True)
    #: The dialog this message answered (its first message is Dialog.inbound_message_id), so
    #: erasing a case reaches every message said for it. No foreign key: a dialog points at
    #: its first message already, and the two tables would then depend on each other.
    dialog_id: Mapped[int | None] = mapped_column(index=True)


class InboundTombstone(Base):
    """A raw message purged by retention: its (provider, id) stays known, forever.

    Only a keyed hash of the pair is kept, so a signed webhook replayed after its row was
    deleted is recognised as a resend and never taken for a new message.
    """

    __tablename__ = "inbound_tombstone"

    #: Keyed hash (HMAC-SHA256 under the lookup key) of provider and provider message id.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    buried_at: Mapped[datetime] = mapped_column(default=utcnow)
