"""Messages whose interpretation failed, or was cut off, are retried by the sweeper."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core import clock
from core.db import db
from models import InboundMessage, InboundStatus, Outbox
from tests.signing import load_form
from webhooks.inbound import MAX_ATTEMPTS, STUCK_AFTER
from webhooks.jobs import retry_inbound


@pytest.fixture
def failing(monkeypatch):
    """Make intake raise until told to recover."""
    import intake.pipeline

    real = intake.pipeline.handle_message
    state = {"broken": True}

    def handle(*args, **kwargs):
        if state["broken"]:
            raise RuntimeError("intake is down")
        return real(*args, **kwargs)

    monkeypatch.setattr(intake.pipeline, "handle_message", handle)
    return state


def _row() -> InboundMessage:
    db.session.expire_all()
    return db.session.scalar(select(InboundMessage))


def test_failed_message_is_retried_with_growing_delays_then_answered(poster, failing):
    clock.freeze(clock.now())
    poster.post("/webhooks/twilio/sms", load_form("sms_plain.txt"))
    first_due = _row().next_attempt_at
    assert retry_inbound(clock.now()) == "0 of 0 retried messages processed"  # not due yet
    clock.freeze(first_due)
    retry_inbound(clock.now())
    row = _row()
    assert (row.status, row.attempts) == (InboundStatus.FAILED, 2)
    assert row.next_attempt_at - clock.now() > first_due - row.received_at  # backing off
    failing["broken"] = False
    clock.freeze(row.next_attempt_at)
    assert retry_inbound(clock.now()) == "1 of 1 retried messages processed"
    row = _row()
    assert row.status == InboundStatus.PROCESSED
    # The webhook was answered long ago: the real answer goes out through the outbox.
    (reply,) = db.session.scalars(select(Outbox)).all()
    assert reply.body == row.reply
    assert reply.to == "+6280800000101"


def test_message_stays_failed_and_visible_after_the_last_attempt(poster, failing):
    clock.freeze(clock.now())
    poster.post("/webhooks/twilio/sms", load_form("sms_plain.txt"))
    for _ in range(MAX_ATTEMPTS + 2):
        row = _row()
        if row.next_attempt_at is None:
            break
        clock.freeze(row.next_attempt_at)
        retry_inbound(clock.now())
    row = _row()
    assert row.status == InboundStatus.FAILED
    assert row.attempts == MAX_ATTEMPTS
    assert row.next_attempt_at is None


def test_message_cut_off_mid_work_is_swept(poster, monkeypatch):
    """A worker killed between storing and interpreting leaves a "received" row behind."""
    import webhooks.inbound

    monkeypatch.setattr(webhooks.inbound, "interpret", lambda *a, **k: "")
    clock.freeze(clock.now())
    poster.post("/webhooks/twilio/sms", load_form("sms_plain.txt"))
    monkeypatch.undo()
    assert _row().status == InboundStatus.RECEIVED
    assert retry_inbound(clock.now()).startswith("0 of 0")
    clock.advance(STUCK_AFTER + timedelta(seconds=1))
    assert retry_inbound(clock.now()) == "1 of 1 retried messages processed"
    assert _row().status == InboundStatus.PROCESSED
