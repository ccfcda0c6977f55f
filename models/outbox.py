"""Every outbound message, written before any provider is called."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.crypto import Encrypted
from models.base import Base, str_enum, utcnow
from models.vocab import Channel


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its next attempt
    SENDING = "sending"  # claimed by a worker; a stale claim is taken back
    SENT = "sent"  # accepted by the provider
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"  # the provider reported failure after accepting it
    UNDELIVERED = "undelivered"
    DEAD = "dead"  # every attempt failed; an admin has been told
    CANCELLED = "cancelled"  # no longer needed (e.g. acknowledged before a reminder left)
    SKIPPED = "skipped"  # refused when its turn came: the recipient had opted out


class Purpose(enum.StrEnum):
    REPLY = "reply"
    ALERT = "alert"
    REMINDER = "reminder"
    ESCALATION = "escalation"
    CONFIRMATION = "confirmation"
    DIGEST = "digest"
    SUMMARY = "summary"
    ADMIN = "admin"
    #: Case work beyond the acknowledgement chain: deadlines, tasks, referrals, clusters.
    NOTICE = "notice"
    #: A message from staff to a reporter, relayed without showing the number.
    RELAY = "relay"
    LOGIN_CODE = "login_code"  # a one-time console sign-in code, to the account's own phone


class Outbox(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        #: The drain reads only rows that are due.
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Same key, same message: writing it twice sends it once.
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    purpose: Mapped[Purpose] = mapped_column(str_enum(Purpose))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, 16))
    #: The provider a reporter wrote to (the number they used): a reply leaves by it.
    via: Mapped[str | None] = mapped_column(String(20))
    to: Mapped[str] = mapped_column(Encrypted())
    to_hash: Mapped[str] = mapped_column(String(64), index=True)
    body: Mapped[str] = mapped_column(Encrypted())
    content_sid: Mapped[str | None] = mapped_column(String(64))
    content_variables: Mapped[str | None] = mapped_column(Encrypted())
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("reporter.id"))
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    claimed_at: Mapped[datetime | None]
    #: The previous attempt may have reached the provider: look before sending again.
    outcome_unknown: Mapped[bool] = mapped_column(default=False)
    provider_message_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    error_code: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    status_at: Mapped[datetime | None]
