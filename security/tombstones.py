"""Tombstones of purged raw messages: a webhook replayed after retention is still a resend.

Providers' signatures carry no time, so a signed request captured once can be posted again
at any time. While the raw row exists its unique key answers the replay; once retention
deleted the row, the tombstone written in the same transaction does.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core import clock
from core.crypto import keyring
from core.db import table_of
from models import InboundMessage, InboundStatus, InboundTombstone


def key_text(provider: str, provider_message_id: str) -> str:
    """What a tombstone's key hashes: the provider and its message id."""
    return f"inbound\x00{provider}\x00{provider_message_id}"


def bury(session: Session, pairs: Iterable[tuple[str, str]]) -> None:
    """Keep (provider, provider message id) pairs as keyed hashes; flush, never commit."""
    now = clock.now()
    rows = [
        {"key": keyring().lookup_hash(key_text(provider, mid)), "buried_at": now}
        for provider, mid in pairs
    ]
    if not rows:
        return
    dialect = {"sqlite": sqlite, "postgresql": postgresql}[session.get_bind().dialect.name]
    session.execute(dialect.insert(InboundTombstone).on_conflict_do_nothing(), rows)


#: Asked on every webhook: built once, on the table, and run on the session's connection.
_TOMBSTONES = table_of(InboundTombstone)
_BURIED = select(_TOMBSTONES.c.key).where(_TOMBSTONES.c.key.in_(bindparam("keys", expanding=True)))


def is_buried(session: Session, provider: str, provider_message_id: str) -> bool:
    """Say whether a message with this provider and id was received and purged before."""
    keys = keyring().lookup_hashes(key_text(provider, provider_message_id))
    found = session.connection().execute(_BURIED, {"keys": keys}).first()
    return found is not None


def stand_in(provider: str, provider_message_id: str) -> InboundMessage:
    """An unsaved row standing for the purged one: processed, answered neutrally."""
    return InboundMessage(
        provider=provider,
        provider_message_id=provider_message_id,
        status=InboundStatus.PROCESSED,
        reply=None,
    )
