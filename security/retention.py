"""Retention: raw inbound messages and leftover spool files go once processed and old.

A report keeps its own encrypted copy of what was said, so the raw message is not needed
once it is processed. Messages that failed or were never interpreted are never purged (the
sweeper still owes them an answer), nor is the first message of a dialog still open.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import cast

from sqlalchemy import Column, Table, exists, select
from sqlalchemy.orm import Session

from channels import CHANNELS, ChannelError
from core.config import ConfigError
from models import Base, Dialog, DialogStatus, InboundMessage, InboundStatus
from security import tombstones
from webhooks import spool

log = logging.getLogger(__name__)


def _references() -> list[Column[int]]:
    """Every foreign key column that points at an inbound message (Report, Dialog, …)."""
    target = InboundMessage.__table__
    return [
        fk.parent
        for table in Base.metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column.table is target
    ]


def purge_inbound(session: Session, cutoff: datetime, limit: int) -> int:
    """Delete up to `limit` processed messages received before the cutoff; return how many."""
    open_dialog = exists().where(
        Dialog.inbound_message_id == InboundMessage.id, Dialog.status == DialogStatus.OPEN
    )
    purged = session.execute(
        select(InboundMessage.id, InboundMessage.provider, InboundMessage.provider_message_id)
        .where(InboundMessage.status == InboundStatus.PROCESSED)
        .where(InboundMessage.received_at < cutoff)
        .where(~open_dialog)
        .order_by(InboundMessage.received_at)
        .limit(limit)
    ).all()
    if not purged:
        return 0
    ids = [row.id for row in purged]
    # The message goes, the fact that it came stays: a replay of it is not news.
    tombstones.bury(session, [(row.provider, row.provider_message_id) for row in purged])
    # Reports and dialogs keep their own copy; they only lose the pointer to the raw row.
    for column in _references():
        session.execute(column.table.update().where(column.in_(ids)).values({column: None}))
    messages = cast(Table, InboundMessage.__table__)
    session.execute(messages.delete().where(messages.c.id.in_(ids)))
    session.flush()
    return len(ids)


def purge_spool(session: Session, directory: Path, cutoff: datetime) -> int:
    """Delete spool files older than the cutoff whose message is stored and processed."""
    if not directory.exists():
        return 0
    removed = 0
    for path in sorted(directory.glob(f"*{spool.SUFFIX}")):
        # A file's time is when it was spooled (rotation keeps it), never later than its
        # message: a newer file cannot be due, and is not even opened.
        if path.stat().st_mtime >= cutoff.timestamp():
            continue
        if _is_processed(session, path, cutoff):
            spool.remove(path)
            removed += 1
    return removed


def _is_processed(session: Session, path: Path, cutoff: datetime) -> bool:
    """Say whether a spool file is due and the database holds its message as processed."""
    try:
        item = spool.read(path)
        msg = CHANNELS[item.kind].parse_inbound(item.form)
    except (ConfigError, ChannelError, KeyError, ValueError):
        log.warning("spool file %s cannot be read; kept for an admin", path.name)
        return False
    if item.received_at >= cutoff:
        return False
    status = session.scalar(
        select(InboundMessage.status).where(
            InboundMessage.provider == msg.provider,
            InboundMessage.provider_message_id == msg.provider_message_id,
        )
    )
    return status == InboundStatus.PROCESSED
