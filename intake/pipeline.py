"""From a stored message to a reply: the one entry point the webhooks and the sweeper call."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from channels import InboundMessage
from core.i18n import t
from models import InboundMessage as InboundRow


def handle_message(session: Session, row: InboundRow, msg: InboundMessage, now: datetime) -> str:
    """Interpret one stored message and return the reply text (flushes, never commits)."""
    return t("reply.received")
