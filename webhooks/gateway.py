"""SMS gateway phones: their heartbeat, and each received SMS stored once however it came."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from channels import InboundMessage
from core.crypto import lookup_hash
from models import GatewayHeartbeat, GatewayReceipt
from webhooks.inbound import record_inbound


def heard_from(session: Session, provider: str, device_id: str, now: datetime) -> None:
    """Record a gateway's sign of life (flushes, never commits)."""
    row = session.scalar(select(GatewayHeartbeat).where(GatewayHeartbeat.device_id == device_id))
    if row is None:
        row = GatewayHeartbeat(provider=provider, device_id=device_id, last_seen_at=now)
        session.add(row)
    elif row.last_seen_at < now:
        row.last_seen_at = now
    row.silent_alerted_at = None
    session.flush()


def store_received(session: Session, msg: InboundMessage, content_key: str, now: datetime) -> bool:
    """Store a received SMS once whether the webhook or the inbox brought it; return if new.

    The receipt and the message commit together: whichever path comes second finds the
    receipt (or the message's own id) and stores nothing.
    """
    session.add(GatewayReceipt(content_hash=lookup_hash(content_key), created_at=now))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return False
    return record_inbound(session, msg).is_new  # commits the receipt with the message
