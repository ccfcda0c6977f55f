"""The writer gate: SQLite writers of this machine take turns without sleeping between tries."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from core.db import GatedConnection, WriterGate, make_engine


def _engine(tmp_path: Path, busy: float = 5.0):
    engine = make_engine(f"sqlite:///{tmp_path / 'gate.db'}", busy_seconds=busy)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    return engine


def test_the_gate_is_a_private_file_beside_the_database(tmp_path) -> None:
    engine = _engine(tmp_path)
    with engine.connect() as conn:
        assert isinstance(conn.connection.dbapi_connection, GatedConnection)
    gate = tmp_path / "gate.db.writer"
    assert gate.exists()
    assert gate.stat().st_mode & 0o077 == 0
    engine.dispose()


def test_a_second_writer_waits_for_the_first_commit_and_then_goes_in(tmp_path) -> None:
    engine = _engine(tmp_path)
    entered, order = threading.Event(), []

    def second() -> None:
        with engine.begin() as conn:  # BEGIN IMMEDIATE behind the gate
            order.append("second began")
            conn.execute(text("INSERT INTO t VALUES (2)"))

    with engine.connect() as first:
        first.execute(text("INSERT INTO t VALUES (1)"))  # holds the gate and the lock
        gate = first.connection.dbapi_connection.gate
        assert gate.held
        worker = threading.Thread(target=lambda: (entered.set(), second()))
        worker.start()
        entered.wait()
        order.append("first commits")
        first.commit()
        assert not gate.held
    worker.join(timeout=10)
    assert order == ["first commits", "second began"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM t ORDER BY n")).scalars().all() == [1, 2]
    engine.dispose()


def test_a_gate_held_past_the_busy_timeout_is_passed_by_and_sqlite_decides(tmp_path) -> None:
    """A held gate is given up after the busy timeout; SQLite's own lock then decides."""
    engine = _engine(tmp_path, busy=0.05)
    holder = WriterGate(str(tmp_path / "gate.db.writer"), 0.05)
    assert holder.acquire()
    with engine.connect() as conn:  # the gate is not had in time: SQLite's lock is free
        conn.execute(text("INSERT INTO t VALUES (1)"))
        conn.commit()
    holder.close()
    with engine.connect() as conn:
        gate = conn.connection.dbapi_connection.gate
        conn.execute(text("SELECT 1"))
        assert gate.held
        conn.rollback()
        assert not gate.held
    engine.dispose()


def test_a_writer_behind_a_stuck_holder_gives_up_after_one_busy_timeout(tmp_path) -> None:
    """The holder has the gate and SQLite's lock: the writer fails, and waits only once."""
    engine = _engine(tmp_path, busy=0.05)
    with engine.connect() as holder:
        holder.execute(text("INSERT INTO t VALUES (1)"))  # gate and write lock held
        with engine.connect() as writer:
            with pytest.raises(OperationalError, match="locked"):
                writer.execute(text("INSERT INTO t VALUES (2)"))
            writer.rollback()
            busy = writer.connection.dbapi_connection.execute("PRAGMA busy_timeout")
            assert busy.fetchone()[0] == 50  # restored for the next transaction
            assert not writer.connection.dbapi_connection.gate.held
        holder.commit()
    engine.dispose()


def test_a_uri_database_gets_no_folder_and_no_gate(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    engine = make_engine("sqlite:///file:/nowhere-at-all/sigap.db?mode=ro&uri=true")
    engine.dispose()
    assert list(tmp_path.iterdir()) == []
