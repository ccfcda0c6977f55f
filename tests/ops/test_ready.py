"""/readyz: each named check, not-ready while something is wrong and ready again after."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import create_engine, delete, select, text
from sqlalchemy.engine import make_url

from alerts.scheduler import acquire_lease
from bench.common import workers
from core import clock
from core.db import db
from models import InboundMessage, InboundStatus, Lease
from tests.servers import app_env
from webhooks import spool
from webhooks.worker import HEARTBEAT_TTL, heartbeat


@pytest.fixture
def migrated(make_app: Callable[..., Flask], fresh_db_url: str) -> Iterator[Flask]:
    """An app on an empty database brought to the newest migration, a scheduler leading."""
    app = make_app(DATABASE_URL=fresh_db_url)
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        acquire_lease("host:1", clock.now())
        heartbeat(db.scoped(), "worker:host:2", clock.now(), HEARTBEAT_TTL)
        yield app
        clock.unfreeze()
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
        "worker_alive",
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
    heartbeat(db.scoped(), "worker:host:2", clock.now(), HEARTBEAT_TTL)
    status, body = readyz(migrated)
    assert status == 503
    assert failing(body) == {"scheduler_leader"}


@pytest.mark.slow
def test_not_ready_when_the_worker_is_killed_and_ready_again_with_a_new_one(
    migrated: Flask, fresh_db_url: str
) -> None:
    db.session.execute(delete(Lease).where(Lease.name.like("worker:%")))
    db.session.commit()
    assert failing(readyz(migrated)[1]) == {"worker_alive"}
    with workers(app_env(fresh_db_url)) as first:
        holders = wait_for_workers(1)
        status, body = readyz(migrated)
        assert status == 200, failing(body)
        os.kill(first[0].pid, signal.SIGKILL)  # no clean stop: the heartbeat just stops
        first[0].wait(timeout=30)
        started = clock.now()
        clock.freeze(started + HEARTBEAT_TTL + timedelta(seconds=1))
        acquire_lease("host:1", clock.now())
        status, body = readyz(migrated)
        assert status == 503
        assert failing(body) == {"worker_alive"}
        clock.unfreeze()
    with workers(app_env(fresh_db_url)):
        assert wait_for_workers(2) != holders  # a new worker said it is alive
        assert readyz(migrated)[0] == 200


def wait_for_workers(count: int) -> set[str]:
    """The holders of worker heartbeats, once there are `count` of them (bounded wait)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        holders = set(db.session.scalars(select(Lease.holder).where(Lease.name.like("worker:%"))))
        db.session.commit()
        if len(holders) >= count:
            return holders
        time.sleep(0.1)  # waiting on the worker process to start, not on time
    raise AssertionError("no worker heartbeat within 60 s")


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
        heartbeat(db.scoped(), "worker:host:2", clock.now(), HEARTBEAT_TTL)
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
