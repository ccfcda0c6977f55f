"""A message that kills its worker process each time is set aside after a few, never lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core import clock
from core.crypto import lookup_hash
from core.db import db
from core.i18n import t
from models import Account, InboundMessage, InboundStatus, Outbox, Purpose, Role
from tests.signing import load_form, run_worker
from webhooks.jobs import retry_inbound
from webhooks.worker import MAX_CLAIMS, WORKER_DIED

T0 = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
ADMIN_PHONE = "+6280800007019"


@pytest.fixture
def deadly(monkeypatch):
    """Make interpretation kill the worker process (no Python exception it could catch)."""
    import intake.pipeline

    real = intake.pipeline.handle_message
    state = {"deadly": True}

    def handle(session, row, *args, **kwargs):
        if state["deadly"]:
            real(session, row, *args, **kwargs)  # the work is done, then the process dies
            session.flush()
            raise SystemExit(137)
        return real(session, row, *args, **kwargs)

    monkeypatch.setattr(intake.pipeline, "handle_message", handle)
    return state


def _die_once() -> None:
    """One worker process taking the message up and dying on it."""
    with pytest.raises(SystemExit):
        run_worker()
    db.session.rollback()  # what the dead process's connection left, as the database sees it


def _row() -> InboundMessage:
    db.session.expire_all()
    return db.session.scalar(select(InboundMessage))


def _outbox(purpose: Purpose) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(Outbox.body).where(Outbox.purpose == purpose)))


def _admin() -> None:
    db.session.add(
        Account(
            role=Role.ADMIN, name="Admin", phone=ADMIN_PHONE, phone_hash=lookup_hash(ADMIN_PHONE)
        )
    )
    db.session.commit()


def test_a_message_that_keeps_killing_the_worker_is_set_aside_and_admins_told(app, poster, deadly):
    _admin()
    clock.freeze(T0)
    poster.post("/webhooks/twilio/sms", load_form("sms_plain.txt"))
    for death in range(MAX_CLAIMS):
        clock.freeze(T0 + timedelta(seconds=5 * death))  # a restarted worker, moments later
        _die_once()
        assert _row().status == InboundStatus.RECEIVED  # still waiting: it may be bad luck
    assert _outbox(Purpose.REPLY) == []

    run_worker()  # the next worker does not take it up again: it sets it aside
    row = _row()
    assert row.status == InboundStatus.FAILED
    assert row.error == WORKER_DIED
    assert row.next_attempt_at is None  # never retried by itself: it would kill again
    assert row.body  # kept, for an admin to look at
    assert _outbox(Purpose.REPLY) == [t("reply.try_again")]  # the reporter hears, once
    admin = t("alert.admin.message_set_aside", id=row.id, count=MAX_CLAIMS)
    assert _outbox(Purpose.ADMIN) == [admin]

    clock.freeze(T0 + timedelta(days=1))
    assert retry_inbound(clock.now()) == "0 failed messages queued again"
    run_worker()
    assert _row().status == InboundStatus.FAILED
    assert _outbox(Purpose.REPLY) == [t("reply.try_again")]


def test_a_worker_killed_fewer_times_than_the_limit_still_gets_the_message_answered(
    app, poster, deadly
):
    clock.freeze(T0)
    poster.post("/webhooks/twilio/sms", load_form("sms_plain.txt"))
    for _ in range(MAX_CLAIMS - 1):
        _die_once()
    deadly["deadly"] = False
    run_worker()
    row = _row()
    assert row.status == InboundStatus.PROCESSED
    assert _outbox(Purpose.REPLY) == [row.reply]  # one reply, the real one

    # The count is of deaths in a row: a later death on another message starts again.
    deadly["deadly"] = True
    clock.freeze(T0 + timedelta(minutes=1))
    second = load_form("sms_plain.txt") | {"MessageSid": "SM" + "7" * 32}
    poster.post("/webhooks/twilio/sms", second)
    _die_once()
    deadly["deadly"] = False
    run_worker()
    db.session.expire_all()
    statuses = db.session.scalars(select(InboundMessage.status).order_by(InboundMessage.id))
    assert list(statuses) == [InboundStatus.PROCESSED, InboundStatus.PROCESSED]
