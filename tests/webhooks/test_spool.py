"""When the database cannot take a write, webhooks are spooled, answered, and replayed once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from core import clock
from core.db import db, make_engine
from core.i18n import t
from models import InboundMessage, InboundStatus, Outbox
from tests.signing import Poster, load_form, run_worker
from webhooks import spool
from webhooks.jobs import replay_spool

MESSAGES = 100


def _stored() -> int:
    return db.session.scalar(select(func.count()).select_from(InboundMessage))


def _forms(n: int) -> list[dict[str, str]]:
    base = load_form("sms_plain.txt")
    return [
        base
        | {"MessageSid": f"SM{i:032x}", "SmsMessageSid": f"SM{i:032x}", "SmsSid": f"SM{i:032x}"}
        for i in range(n)
    ]


@pytest.fixture
def spool_dir(app, tmp_path):
    app.config["SPOOL_DIR"] = tmp_path / "spool"
    return tmp_path / "spool"


@contextmanager
def _down() -> Iterator[None]:
    """Point the app at a database that cannot be opened, then back."""
    real = db.engine
    dead = make_engine("sqlite:///file:/nonexistent-dir/sigap.db?mode=ro&uri=true")
    db.session.remove()
    db.session.configure(bind=dead)
    try:
        yield
    finally:
        db.session.remove()
        db.session.configure(bind=real)
        dead.dispose()


@pytest.fixture
def database_down() -> Iterator[None]:
    with _down():
        yield


def test_hundred_webhooks_while_down_all_get_200(poster, spool_dir, database_down):
    forms = _forms(MESSAGES)
    responses = [poster.post("/webhooks/twilio/sms", form) for form in forms]
    assert [r.status_code for r in responses] == [200] * MESSAGES
    assert all(b"<Response />" in r.data for r in responses)  # the reply follows the replay
    assert len(spool.pending(spool_dir)) == MESSAGES
    # A resend while still down lands on the same file, not a second one.
    poster.post("/webhooks/twilio/sms", forms[0])
    assert len(spool.pending(spool_dir)) == MESSAGES


def test_replay_after_recovery_stores_each_exactly_once(poster, spool_dir):
    forms = _forms(MESSAGES)
    with _down():
        responses = [poster.post("/webhooks/twilio/sms", form) for form in forms]
    assert [r.status_code for r in responses] == [200] * MESSAGES
    assert _stored() == 0

    now = clock.now()
    first = replay_spool(now)
    assert _stored() == MESSAGES, first
    assert spool.pending(spool_dir) == []
    second = replay_spool(now)
    assert _stored() == MESSAGES, second
    assert second.startswith("0 replayed")


def test_spool_files_hold_no_plain_text(poster, spool_dir, database_down):
    form = load_form("sms_plain.txt")
    poster.post("/webhooks/twilio/sms", form)
    (path,) = spool.pending(spool_dir)
    raw = path.read_bytes()
    assert form["From"].encode() not in raw
    assert form["Body"][:20].encode() not in raw
    assert path.stat().st_mode & 0o077 == 0


def test_replay_after_a_crash_between_commit_and_delete(poster, spool_dir):
    """The file outlived its stored message: replay finds the message and only deletes."""
    form = _forms(1)[0]
    poster.post("/webhooks/twilio/sms", form)  # stored normally
    spool.write(spool_dir, "sms", form, clock.now())  # and a leftover file of the same
    outcome = replay_spool(clock.now())
    assert outcome == "0 replayed, 1 already stored"
    assert _stored() == 1
    assert spool.pending(spool_dir) == []


@pytest.mark.usefixtures("spool_dir")
def test_sqlite_locked_past_its_timeout_spools(make_app, db_url, spool_dir):
    if not db_url.startswith("sqlite"):
        pytest.skip("the write lock is SQLite's")
    locked_app = make_app(SIGAP_SQLITE_BUSY_SECONDS=0.2, SPOOL_DIR=spool_dir)
    holder = make_engine(db_url)
    with holder.connect() as conn, locked_app.app_context():
        conn.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: holds the write lock
        response = Poster(locked_app.test_client()).post("/webhooks/twilio/sms", _forms(1)[0])
        assert response.status_code == 200
        assert len(spool.pending(spool_dir)) == 1
    holder.dispose()


def test_replayed_messages_go_through_the_sender_limits(make_app, spool_dir):
    """A flood that arrived while the database was down is held like any other."""
    app = make_app(SIGAP_SENDER_LIMIT_PER_HOUR=2, SPOOL_DIR=spool_dir)
    with app.app_context():
        clock.freeze(datetime(2025, 3, 10, 1, 0, tzinfo=UTC))
        poster = Poster(app.test_client())
        forms = [
            load_form("sms_plain.txt") | {"MessageSid": f"SM{i:032x}", "Body": "halo"}
            for i in range(6)
        ]
        with _down():
            for form in forms:
                clock.advance(timedelta(seconds=10))
                assert poster.post("/webhooks/twilio/sms", form).status_code == 200
        assert replay_spool(clock.now()).startswith("6 replayed")
        assert run_worker() == 6
        statuses = list(db.session.scalars(select(InboundMessage.status).order_by("id")))
        assert statuses == [InboundStatus.PROCESSED] * 2 + [InboundStatus.LIMITED] * 4
        bodies = list(db.session.scalars(select(Outbox.body).order_by(Outbox.id)))
        assert bodies == [t("reply.info")] * 2 + [t("reply.limited")]
