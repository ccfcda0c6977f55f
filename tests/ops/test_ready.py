"""/readyz: each named check, not-ready while something is wrong and ready again after."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from alerts.scheduler import acquire_lease
from core import clock
from core.db import db
from models import InboundMessage, InboundStatus
from webhooks import spool


@pytest.fixture
def migrated(make_app: Callable[..., Flask], fresh_db_url: str) -> Iterator[Flask]:
    """An app on an empty database brought to the newest migration, a scheduler leading."""
    app = make_app(DATABASE_URL=fresh_db_url)
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        acquire_lease("host:1", clock.now())
        yield app
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()


def readyz(app: Flask) -> tuple[int, dict]:
    response = app.test_client().get("/readyz")
    return response.status_code, response.get_json()


def failing(body: dict) -> set[str]:
    return {name for name, check in body["checks"].items() if not check["ok"]}


def test_ready_when_every_check_passes(migrated: Flask) -> None:
    status, body = readyz(migrated)
    assert (status, body["status"]) == (200, "ready")
    assert set(body["checks"]) == {
        "database_writable",
        "migrations_at_head",
        "scheduler_leader",
        "interpretation",
        "spool_draining",
    }


def test_not_ready_while_the_database_is_locked(migrated: Flask, fresh_db_url: str) -> None:
    url = make_url(fresh_db_url)
    if url.get_backend_name() == "sqlite":
        holder = sqlite3.connect(url.database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        release = holder.rollback
    else:  # a database that refuses writes
        admin = create_engine(fresh_db_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(
                text(f'ALTER DATABASE "{url.database}" SET default_transaction_read_only = on')
            )
        db.engine.dispose()

        def release() -> None:
            with admin.connect() as conn:
                conn.execute(
                    text(f'ALTER DATABASE "{url.database}" RESET default_transaction_read_only')
                )
            admin.dispose()
            db.engine.dispose()

    try:
        status, body = readyz(migrated)
        assert status == 503
        assert body["status"] == "not_ready"
        assert failing(body) == {"database_writable"}
    finally:
        release()
    assert readyz(migrated)[0] == 200


def test_not_ready_without_a_live_scheduler(migrated: Flask) -> None:
    clock.freeze(clock.now() + timedelta(minutes=5))  # the lease ran out: the leader died
    status, body = readyz(migrated)
    assert status == 503
    assert failing(body) == {"scheduler_leader"}


def test_not_ready_while_messages_wait_uninterpreted(migrated: Flask) -> None:
    now = clock.now()
    row = InboundMessage(
        provider="twilio",
        channel="sms",
        provider_message_id="SM" + "2" * 32,
        sender_hash="h" * 64,
        sender="+628081234567",
        body="x",
        received_at=now - timedelta(minutes=3),
    )
    db.session.add(row)
    db.session.commit()
    status, body = readyz(migrated)
    assert status == 503
    assert failing(body) == {"interpretation"}
    row.status = InboundStatus.PROCESSED
    db.session.commit()
    assert readyz(migrated)[0] == 200


def test_not_ready_while_the_spool_is_not_draining(migrated: Flask) -> None:
    directory = spool.directory()
    spool.write(directory, "sms", {"MessageSid": "SM" + "3" * 32, "Body": "x"}, clock.now())
    try:
        assert readyz(migrated)[0] == 200  # just spooled: on its way in
        clock.freeze(clock.now() + timedelta(minutes=6))
        acquire_lease("host:1", clock.now())
        db.session.commit()
        status, body = readyz(migrated)
        assert status == 503
        assert failing(body) == {"spool_draining"}
    finally:
        for path in spool.pending(directory):
            spool.remove(path)


def test_not_ready_before_the_migrations_ran(app: Flask) -> None:
    acquire_lease("host:1", clock.now())
    status, body = readyz(app)  # the suite's schema comes from the models, not Alembic
    assert status == 503
    assert "migrations_at_head" in failing(body)
