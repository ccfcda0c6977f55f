"""Readiness: the named checks an orchestrator waits for before sending traffic."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from models import InboundMessage, Lease
from ops.metrics import WAITING
from webhooks import spool

#: A message waiting longer than this means nobody is interpreting.
BACKLOG_LIMIT = timedelta(minutes=2)
#: A spooled webhook older than this means the replay is not draining the spool.
SPOOL_LIMIT = timedelta(minutes=5)
#: How long the write probe may wait for a lock before the database counts as not writable.
WRITE_PROBE_SECONDS = 0.5

Check = Callable[[], str | None]


def database_writable(engine: Engine) -> str | None:
    """Take the write lock for a moment (SQLite) or ask whether writes are allowed."""
    if engine.dialect.name == "sqlite":
        conn = sqlite3.connect(engine.url.database or "", timeout=WRITE_PROBE_SECONDS)
        try:
            conn.isolation_level = None
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:
            return str(exc).splitlines()[0]
        finally:
            conn.close()
        return None
    with engine.connect() as connection:
        connection.execute(text("SET statement_timeout = 1000"))
        if connection.scalar(text("SELECT pg_is_in_recovery()")):
            return "the database is a read-only replica"
        if connection.scalar(text("SHOW transaction_read_only")) == "on":
            return "transactions are read-only"
        connection.rollback()
    return None


def migrations_at_head(session: Session, scripts: ScriptDirectory) -> str | None:
    """Compare the database's revision with the newest migration."""
    current = set(MigrationContext.configure(session.connection()).get_current_heads())
    heads = set(scripts.get_heads())
    return (
        None
        if current == heads
        else f"at {sorted(current) or 'no revision'}, head is {sorted(heads)}"
    )


def scheduler_leader(session: Session, now: datetime) -> str | None:
    """A scheduler holds an unexpired lease."""
    expires = session.scalar(select(Lease.expires_at).where(Lease.name == "scheduler"))
    if expires is None:
        return "no scheduler has started"
    return None if expires > now else "the scheduler's lease has expired"


def worker_alive(session: Session, now: datetime) -> str | None:
    """At least one interpretation worker said it was alive within its heartbeat's life."""
    alive = session.scalar(
        select(func.count()).where(Lease.name.like("worker:%"), Lease.expires_at > now)
    )
    return None if alive else "no interpretation worker is running"


def interpretation(session: Session, now: datetime) -> str | None:
    """No stored message has waited past the backlog limit."""
    oldest = session.scalar(
        select(func.min(InboundMessage.received_at)).where(InboundMessage.status.in_(WAITING))
    )
    if oldest is None or now - oldest <= BACKLOG_LIMIT:
        return None
    return f"a message has waited {int((now - oldest).total_seconds())} s to be interpreted"


def spool_draining(directory: Path, now: datetime) -> str | None:
    """The spool is empty, or what is in it is recent enough to be on its way in."""
    files = spool.pending(directory, limit=1)
    if not files:
        return None
    age = now.timestamp() - files[0].stat().st_mtime
    if age <= SPOOL_LIMIT.total_seconds():
        return None
    return f"a spooled webhook has waited {int(age)} s for replay"


def run(checks: dict[str, Check]) -> tuple[bool, dict[str, dict[str, object]]]:
    """Run every check; a check that raises fails with the exception's type only."""
    results: dict[str, dict[str, object]] = {}
    for name, check in checks.items():
        try:
            problem = check()
        except Exception as exc:  # a check that cannot run is a failed check, not a 500
            problem = f"check failed: {type(exc).__name__}"
        results[name] = {"ok": problem is None, **({"reason": problem} if problem else {})}
    return all(r["ok"] for r in results.values()), results
