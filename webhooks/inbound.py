"""Store each inbound message once, raw and encrypted; the worker interprets it later."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, Table, bindparam, exists, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached, scoped_session

from channels import InboundMessage, is_trusted_url
from channels.media import media_hosts
from core import clock
from core.crypto import keyring, lookup_hash
from core.db import driver_transaction, table_of
from models import InboundMessage as InboundRow
from models import InboundStatus, InboundTombstone
from security import tombstones

log = logging.getLogger(__name__)


#: A Core insert on the table (not the mapped class): the hottest write of the service, with
#: neither the unit of work nor the ORM's statement handling in its way.
_INSERT = insert(table_of(InboundRow)).returning(table_of(InboundRow).c.id)


@dataclass(frozen=True)
class Recorded:
    """The stored row and whether this call stored it (False: a provider's resend)."""

    _row: InboundRow | None
    is_new: bool
    _session: Session | None = None
    _values: dict[str, Any] | None = None

    @property
    def row(self) -> InboundRow:
        """The row, made an instance of the session only when someone asks for it."""
        if self._row is not None:
            return self._row
        assert self._session is not None
        assert self._values is not None
        row = InboundRow(**self._values)
        make_transient_to_detached(row)
        self._session.add(row)
        object.__setattr__(self, "_row", row)
        return row


def _media_json(msg: InboundMessage) -> str | None:
    if not msg.media:
        return None
    return json.dumps(
        [
            {
                "url": m.url,
                "content_type": m.content_type,
                "is_trusted": is_trusted_url(m.url, media_hosts(msg.provider)),
                # Bytes that came with the message: already stored, or refused.
                **{k: v for k in _INLINE if (v := getattr(m, k)) is not None},
            }
            for m in msg.media
        ]
    )


#: What a MediaRef says about bytes that came with the message (see channels.MediaRef).
_INLINE = ("stored_as", "size", "refused")


def _values(msg: InboundMessage, spooled_at: datetime | None) -> dict[str, Any]:
    """The columns of a new row for the message, as plain values."""
    now = clock.now()
    return {
        "provider": msg.provider,
        "channel": msg.channel,
        "provider_message_id": msg.provider_message_id,
        "sender_hash": lookup_hash(msg.sender),
        "sender": msg.sender,
        "body": msg.text,
        "media": _media_json(msg),
        "profile_name": msg.profile_name,
        "button_payload": msg.button_payload,
        "status": InboundStatus.RECEIVED,
        "attempts": 0,
        "received_at": now,
        "next_attempt_at": now,  # waiting for the worker since now
        "spooled_at": spooled_at,
    }


def record_inbound(
    session: Session, msg: InboundMessage, spooled_at: datetime | None = None
) -> Recorded:
    """Insert and commit the raw message; a resend finds the first copy instead.

    The caller's pending work in the session commits with the message (and is rolled back
    with a resend's failed insert).
    """
    if tombstones.is_buried(session, msg.provider, msg.provider_message_id):
        # Its row was purged by retention: a replay, answered as a resend, never interpreted.
        return Recorded(tombstones.stand_in(msg.provider, msg.provider_message_id), False)
    values = _values(msg, spooled_at)
    try:
        row_id = session.connection().execute(_INSERT, values).scalar_one()
        session.commit()
    except IntegrityError:
        session.rollback()
    else:
        return Recorded(None, True, session, values | {"id": row_id})
    return _first_copy(session, msg)


def _first_copy(session: Session, msg: InboundMessage) -> Recorded:
    """The stored row of a message received before."""
    existing = _stored_row(session, msg)
    if existing is None:  # pragma: no cover - the unique key said it exists
        raise RuntimeError("inbound message vanished after a unique violation")
    return Recorded(existing, False)


def _stored_row(session: Session, msg: InboundMessage) -> InboundRow | None:
    return session.scalar(
        select(InboundRow).where(
            InboundRow.provider == msg.provider,
            InboundRow.provider_message_id == msg.provider_message_id,
        )
    )


#: What a webhook stores of a message, in this order: every column the worker needs.
_STORED = (
    "provider",
    "channel",
    "provider_message_id",
    "sender_hash",
    "sender",
    "body",
    "media",
    "profile_name",
    "button_payload",
    "status",
    "attempts",
    "received_at",
    "next_attempt_at",
    "spooled_at",
)


def _insert_new_only(dialect: Dialect, rows: Table) -> postgresql.Insert | sqlite.Insert:
    """An insert that leaves a message already stored as it is, on this database."""
    unique = [rows.c.provider, rows.c.provider_message_id]
    if dialect.name == "postgresql":
        return postgresql.insert(rows).on_conflict_do_nothing(index_elements=unique)
    return sqlite.insert(rows).on_conflict_do_nothing(index_elements=unique)


@dataclass(frozen=True)
class _Accept:
    """The one statement that stores a webhook's message, compiled once for a database.

    It inserts the row unless its (provider, id) is buried or already stored, and returns
    the new id (no row otherwise): the tombstone check and the insert in one statement.
    """

    sql: str
    #: The parameter names in their order for a positional driver (SQLite), else None.
    order: tuple[str, ...] | None
    #: Each column's conversion to what the driver takes (encryption, UTC, enum checks).
    converters: tuple[tuple[str, Callable[[Any], Any]], ...]

    @classmethod
    def build(cls, dialect: Dialect, key_count: int) -> _Accept:
        """Compile the statement for a dialect and a keyring of `key_count` keys."""
        rows, graves = table_of(InboundRow), table_of(InboundTombstone)
        keys = [bindparam(f"key{i}", type_=graves.c.key.type) for i in range(key_count)]
        source = select(*(bindparam(name, type_=rows.c[name].type) for name in _STORED)).where(
            ~exists().where(graves.c.key.in_(keys))
        )
        statement = (
            _insert_new_only(dialect, rows).from_select(_STORED, source).returning(rows.c.id)
        )
        compiled = statement.compile(dialect=dialect)
        converters = []
        for name in _STORED:
            convert = rows.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            if convert is not None:
                converters.append((name, convert))
        order = tuple(compiled.positiontup) if compiled.positiontup else None
        return cls(compiled.string, order, tuple(converters))

    def parameters(self, values: Mapping[str, Any], keys: list[str]) -> Any:
        """The driver's parameters for a row's plain values and the tombstone keys."""
        named = dict(values) | {f"key{i}": key for i, key in enumerate(keys)}
        for name, convert in self.converters:
            named[name] = convert(named[name])
        return named if self.order is None else tuple(named[name] for name in self.order)


#: Compiled statements per dialect (one per engine) and keyring size.
_ACCEPTS: WeakKeyDictionary[Dialect, dict[int, _Accept]] = WeakKeyDictionary()


def _accept(dialect: Dialect, key_count: int) -> _Accept:
    by_size = _ACCEPTS.setdefault(dialect, {})
    if key_count not in by_size:
        by_size[key_count] = _Accept.build(dialect, key_count)
    return by_size[key_count]


def _store_alone(engine: Engine, msg: InboundMessage, values: Mapping[str, Any]) -> int | None:
    """Store a message in a transaction of its own; return its id, None if not new.

    Hashing, encryption and conversion happen before the transaction begins: on SQLite
    every writer waits while one holds the write lock, so it holds it for the insert and
    the commit only.
    """
    keys = keyring().lookup_hashes(tombstones.key_text(msg.provider, msg.provider_message_id))
    accept = _accept(engine.dialect, len(keys))
    parameters = accept.parameters(values, keys)
    with driver_transaction(engine) as cursor:
        cursor.execute(accept.sql, parameters)
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def _has_work(session: Session) -> bool:
    """Whether the session holds a transaction or objects of its own to commit."""
    own: Session | scoped_session[Session] = session
    if isinstance(own, scoped_session):
        own = own()  # the request's own session, behind the proxy
    return bool(own.in_transaction() or own.new or own.identity_map)


def receive(session: Session, msg: InboundMessage) -> Recorded:
    """Store a webhook's message for the worker; a provider's resend changes nothing.

    With nothing else pending in the session, the message is committed alone, through
    the one compiled statement; otherwise it commits with the session's work.
    """
    if _has_work(session):
        recorded = record_inbound(session, msg)
    else:
        values = _values(msg, None)
        row_id = _store_alone(session.get_bind().engine, msg, values)
        if row_id is not None:
            return Recorded(None, True, session, values | {"id": row_id})
        recorded = _buried_or_first_copy(session, msg)
    if not recorded.is_new:
        log.info("inbound id=%s sid=%s duplicate", recorded.row.id, msg.provider_message_id)
    return recorded


def _buried_or_first_copy(session: Session, msg: InboundMessage) -> Recorded:
    """What a message not stored anew stands for: its first copy, or its tombstone."""
    stored = _stored_row(session, msg)
    if stored is not None:
        return Recorded(stored, False)
    return Recorded(tombstones.stand_in(msg.provider, msg.provider_message_id), False)


def as_message(row: InboundRow) -> InboundMessage:
    """Rebuild the channel-neutral message from a stored row (for retries)."""
    from channels import MediaRef

    media = tuple(
        MediaRef(m["url"], m["content_type"], *(m.get(k) for k in _INLINE))
        for m in json.loads(row.media or "[]")
    )
    return InboundMessage(
        provider=row.provider,
        channel=row.channel,
        provider_message_id=row.provider_message_id,
        sender=row.sender,
        recipient="",
        text=row.body,
        media=media,
        profile_name=row.profile_name,
        button_payload=row.button_payload,
    )
