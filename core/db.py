"""The database: one engine per app, one session per request or job, SQLite made concurrent."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from core.config import ConfigError

#: Seconds a SQLite writer waits for the lock before giving up (and intake spools instead).
SQLITE_BUSY_SECONDS = 5

#: Whether the transaction now starting must reach the disk before its commit returns.
_durable: ContextVar[bool] = ContextVar("durable", default=True)


@contextmanager
def derived_writes() -> Iterator[None]:
    """Let commits in this block return before they reach the disk.

    Only for writes that can be derived again from rows already committed durably: after a
    power cut such a transaction is lost whole, never half, and its source is still there
    to be processed again (an inbound message left "received" is swept and interpreted).
    It spares a disk flush per request on the intake path.
    """
    token = _durable.set(False)
    try:
        yield
    finally:
        _durable.reset(token)


def _configure_sqlite(engine: Engine, busy_seconds: float) -> None:
    """WAL, a busy timeout, foreign keys, and writers that lock at BEGIN."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_seconds * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # FULL: a message Twilio was told we have survives a power cut, not only a crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = "FULL" if _durable.get() else "NORMAL"
        if conn.info.get("synchronous") != mode:
            conn.exec_driver_sql(f"PRAGMA synchronous={mode}")
            conn.info["synchronous"] = mode
        # IMMEDIATE takes the write lock now, so two writers never deadlock on an upgrade
        # from a read lock halfway through their transactions.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _configure_postgresql(engine: Engine) -> None:
    """Relax commit durability inside `derived_writes` blocks, as on SQLite."""

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if not _durable.get():
            conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")


def make_engine(url: str, busy_seconds: float = SQLITE_BUSY_SECONDS, **kwargs: Any) -> Engine:
    """Create an engine for a URL, or raise ConfigError with a one-line reason."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError("DATABASE_URL is not a database URL") from None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    # A file database has no connection to lose; a server's is checked before each use.
    kwargs.setdefault("pool_pre_ping", parsed.get_backend_name() != "sqlite")
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ImportError) as exc:
        raise ConfigError(f"DATABASE_URL names a driver that is not installed ({exc})") from None
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, busy_seconds)
    elif engine.dialect.name == "postgresql":
        _configure_postgresql(engine)
    return engine


class Database:
    """Engine and scoped session, bound to a Flask app by `init_app`."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.session: scoped_session[Session] = scoped_session(sessionmaker(expire_on_commit=False))

    def init_app(self, app: Flask) -> None:
        """Create the engine from the app's DATABASE_URL and tidy sessions after each request."""
        if self.engine is not None:
            self.session.remove()
            self.engine.dispose()
        busy = float(app.config.get("SIGAP_SQLITE_BUSY_SECONDS") or SQLITE_BUSY_SECONDS)
        self.engine = make_engine(app.config["DATABASE_URL"], busy_seconds=busy)
        self.session.configure(bind=self.engine)
        app.teardown_appcontext(self._teardown)

    def _teardown(self, _exc: BaseException | None) -> None:
        self.session.remove()

    def ping(self) -> bool:
        """Return whether the database answers."""
        try:
            with self.engine.connect() as conn:  # type: ignore[union-attr]
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False


db = Database()
