"""People who report by SMS or WhatsApp, known only by a keyed hash of their number."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from core.crypto import Encrypted
from models.base import Base, utcnow


class Reporter(Base):
    __tablename__ = "reporter"
    __table_args__ = (
        #: The new-sender reply cap counts this hour's reporters of one group.
        Index("ix_reporter_sender_group", "sender_group", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Keyed hash of the E.164 number: how the next message from the same phone is recognised.
    phone_hash: Mapped[str] = mapped_column(String(64), unique=True)
    phone: Mapped[str] = mapped_column(Encrypted())
    #: "id" or "en": the language replies are written in.
    language: Mapped[str] = mapped_column(String(5), default="id")
    #: None until asked; False means never contact this person except to answer them.
    may_contact: Mapped[bool | None]
    #: The provider told us they opted out (Twilio 21610): send them nothing.
    is_opted_out: Mapped[bool] = mapped_column(default=False)
    #: When they sent STOP or HAPUS: only the answer to that message may still go to them.
    opted_out_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Keyed hash of the channel and the number's first digits (country and operator) the
    #: reporter first wrote from: the new-sender reply cap is counted per group.
    sender_group: Mapped[str | None] = mapped_column(String(64))
