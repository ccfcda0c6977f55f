"""The database: one engine per app, one session per request or job, SQLite made concurrent."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar, cast

from flask import Flask
from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Engine,
    Result,
    Select,
    Table,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import QueryableAttribute, Session, scoped_session, sessionmaker

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


class WriterGate:
    """One writer at a time among this machine's connections to a SQLite file, handed on at once.

    SQLite's own busy handler sleeps between tries, longer each time (up to 100 ms), so a
    writer that just missed the lock sleeps on while the lock is free, and a worker can
    lose it again and again to one that commits and begins at once: under load that made
    two workers slower than one, with waits of a second. The gate is an flock on a file
    beside the database, taken before BEGIN IMMEDIATE and dropped after COMMIT or ROLLBACK:
    a waiter retries every half millisecond. It only orders this machine's writers; SQLite's
    lock still decides. A gate not had within the busy timeout is given up and SQLite is
    asked without waiting again: a writer gives up after the busy timeout, as before.
    """

    #: Seconds between tries for a gate another connection holds.
    POLL = 0.0005

    def __init__(self, path: str, timeout: float) -> None:
        self.path, self.timeout = path, timeout
        self._fd: int | None = None
        self._pid = 0
        self.held = False

    def acquire(self) -> bool:
        """Take the gate, waiting up to the timeout; return whether it was had."""
        fd = self._file()
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(self.POLL)
            else:
                self.held = True
                return True

    def release(self) -> None:
        """Let the next writer in (nothing if not held)."""
        if self.held and self._fd is not None:
            self.held = False
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Release and close the gate's file."""
        self.release()
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = None

    def _file(self) -> int:
        # A forked child opens its own: an flock belongs to the open file, shared on fork.
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd


class GatedConnection(sqlite3.Connection):
    """A SQLite connection that drops its writer gate once its transaction ends."""

    gate: WriterGate | None = None

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._leave()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._leave()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.gate is not None:
                self.gate.close()

    def _leave(self) -> None:
        if self.gate is not None:
            self.gate.release()


def _configure_sqlite(engine: Engine, busy_seconds: float, gate_path: str | None) -> None:
    """WAL, a busy timeout, foreign keys, and writers that lock at BEGIN, one at a time."""

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
        if gate_path and isinstance(dbapi_connection, GatedConnection):
            dbapi_connection.gate = WriterGate(gate_path, busy_seconds)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        _begin_sqlite(
            conn.exec_driver_sql, conn.info, getattr(conn.connection.dbapi_connection, "gate", None)
        )


def _begin_sqlite(
    execute: Callable[[str], object], info: dict[Any, Any], gate: WriterGate | None
) -> None:
    """Begin a write transaction: the durability asked for, the writer gate, BEGIN IMMEDIATE."""
    mode = "FULL" if _durable.get() else "NORMAL"
    if info.get("synchronous") != mode:
        execute(f"PRAGMA synchronous={mode}")
        info["synchronous"] = mode
    waited_out = gate is not None and not gate.acquire()
    try:
        if gate is not None and waited_out:
            # The gate's holder has kept it the whole busy timeout: SQLite's own wait
            # would only double the time before the webhook spools.
            execute("PRAGMA busy_timeout=0")
        try:
            # IMMEDIATE takes the write lock now, so two writers never deadlock on an
            # upgrade from a read lock halfway through their transactions.
            execute("BEGIN IMMEDIATE")
        finally:
            if gate is not None and waited_out:
                execute(f"PRAGMA busy_timeout={int(gate.timeout * 1000)}")
    except BaseException:
        if gate is not None:
            gate.release()
        raise


def _configure_postgresql(engine: Engine) -> None:
    """Relax commit durability inside `derived_writes` blocks, as on SQLite."""

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if not _durable.get():
            conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")


def _private_database_file(path: Path) -> None:
    """Create the SQLite file owner-only (0600) before SQLite does, in a 0700 folder if new.

    SQLite gives the -wal and -shm files the database file's own mode, so all three stay
    unreadable to other local users; a file left group- or world-readable is tightened.
    """
    if not path.parent.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        with contextlib.suppress(OSError):
            info = name.stat()
            if stat.S_IMODE(info.st_mode) & 0o077 and info.st_uid == os.getuid():
                name.chmod(0o600)


def make_engine(url: str, busy_seconds: float = SQLITE_BUSY_SECONDS, **kwargs: Any) -> Engine:
    """Create an engine for a URL, or raise ConfigError with a one-line reason."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError("DATABASE_URL is not a database URL") from None
    gate_path = None
    database = parsed.database or ""
    # A plain file path; an in-memory database or a `file:` URI (read-only opens, tests) is
    # used as SQLite takes it, with no folder made for it and no writer gate.
    if (
        parsed.get_backend_name() == "sqlite"
        and database not in ("", ":memory:")
        and not (database.startswith("file:"))
    ):
        _private_database_file(Path(database))
        gate_path = f"{parsed.database}.writer"
        kwargs.setdefault("connect_args", {}).setdefault("factory", GatedConnection)
    # A file database has no connection to lose; a server's is checked before each use.
    kwargs.setdefault("pool_pre_ping", parsed.get_backend_name() != "sqlite")
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ImportError) as exc:
        raise ConfigError(f"DATABASE_URL names a driver that is not installed ({exc})") from None
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, busy_seconds, gate_path)
    elif engine.dialect.name == "postgresql":
        _configure_postgresql(engine)
    return engine


@contextmanager
def driver_transaction(engine: Engine) -> Iterator[Any]:
    """A write transaction on a pooled driver connection; yields its cursor, then commits.

    Begun and committed as every transaction of the engine is (on SQLite: the durability
    asked for, the writer gate, BEGIN IMMEDIATE), without SQLAlchemy's Connection and its
    events around each statement: for the one write that runs on every webhook. Driver
    errors come out as SQLAlchemy's DBAPIError, as from a Connection.
    """
    dbapi_error = engine.dialect.loaded_dbapi.Error
    try:
        pooled = engine.raw_connection()
    except dbapi_error as exc:
        raise DBAPIError.instance(None, None, exc, dbapi_error, dialect=engine.dialect) from exc
    try:
        cursor = pooled.cursor()
        try:
            if engine.dialect.name == "sqlite":
                gate = getattr(pooled.dbapi_connection, "gate", None)
                _begin_sqlite(cursor.execute, pooled.info, gate)
            elif not _durable.get():
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
            yield cursor
            pooled.commit()
        except BaseException as exc:
            with contextlib.suppress(Exception):
                pooled.rollback()  # on SQLite this also lets the next writer in
            if isinstance(exc, dbapi_error):
                raise DBAPIError.instance(
                    None, None, exc, dbapi_error, dialect=engine.dialect
                ) from exc
            raise
        finally:
            cursor.close()
    finally:
        pooled.close()


class Database:
    """Engine and scoped session, bound to a Flask app by `init_app`."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.scoped: scoped_session[Session] = scoped_session(sessionmaker(expire_on_commit=False))
        #: The session of this request or job: the scoped proxy, typed as the Session it stands for.
        self.session: Session = cast(Session, self.scoped)

    def init_app(self, app: Flask) -> None:
        """Create the engine from the app's DATABASE_URL and tidy sessions after each request."""
        if self.engine is not None:
            self.scoped.remove()
            self.engine.dispose()
        busy = float(app.config.get("SIGAP_SQLITE_BUSY_SECONDS") or SQLITE_BUSY_SECONDS)
        self.engine = make_engine(app.config["DATABASE_URL"], busy_seconds=busy)
        self.scoped.configure(bind=self.engine)
        app.teardown_appcontext(self._teardown)

    def _teardown(self, _exc: BaseException | None) -> None:
        self.remove()

    def remove(self) -> None:
        """Close this thread's session; the next use opens a fresh one."""
        self.scoped.remove()

    def ping(self) -> bool:
        """Return whether the database answers."""
        if self.engine is None:
            return False
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False


db = Database()


def affected(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE touched (its result is a cursor result)."""
    return cast(CursorResult[Any], result).rowcount


def table_of(model: type[Any]) -> Table:
    """A mapped class's table, for Core statements (typed as the Table it is)."""
    return cast(Table, model.__table__)


T = TypeVar("T")


def due_rows(
    session: Session,
    query: Select[T],
    *order_by: ColumnElement[Any] | QueryableAttribute[Any],
    limit: int,
) -> list[T]:
    """Return the first `limit` rows of a job's due query, rows another claimer holds left out.

    On PostgreSQL the rows are locked until the caller's commit and rows locked by another
    transaction are skipped (FOR UPDATE SKIP LOCKED), so concurrent runs take disjoint rows
    instead of waiting; on SQLite one writer holds the whole database, and a plain SELECT is
    enough.
    """
    query = query.order_by(*order_by).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))
