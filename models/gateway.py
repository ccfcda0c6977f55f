"""SMS gateway phones: when each was last heard from, and the messages read from their inbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class GatewayHeartbeat(Base):
    """One gateway phone (SMSGate device): its last sign of life."""

    __tablename__ = "gateway_heartbeat"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    #: The device's id in the gateway app: not a phone number.
    device_id: Mapped[str] = mapped_column(String(64), unique=True)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: When admins were told it went silent; cleared when it is heard from again.
    silent_alerted_at: Mapped[datetime | None]


class GatewayReceipt(Base):
    """A received SMS as both the webhook and the phone's inbox can name it.

    The webhook identifies a message by its event id, the inbox by an id of its own; the
    catch-up job and a late webhook meet on this key instead, so each SMS is stored once.
    """

    __tablename__ = "gateway_receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Keyed hash of sender, second received and text (channels.smsgate.content_key).
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Receipts older than the catch-up window are deleted by the catch-up job.
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
