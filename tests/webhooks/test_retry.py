"""Messages whose interpretation failed are retried; one cut off is taken again."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core import clock
from core.db import db
from core.i18n import t
from core.retry import INBOUND
from models import Case, InboundMessage, InboundStatus, Outbox
from tests.signing import load_form, run_worker
from webhooks.jobs import retry_inbound

MAX_ATTEMPTS = INBOUND.max_attempts


def _retry() -> str:
    """The sweeper's run, then the worker's."""
    outcome = retry_inbound(clock.now())
    run_worker()
    return outcome


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
    run_worker()
    first_due = _row().next_attempt_at
    assert _retry() == "0 failed messages queued again"  # not due yet
    clock.freeze(first_due)
    _retry()
    row = _row()
    assert (row.status, row.attempts) == (InboundStatus.FAILED, 2)
    assert row.next_attempt_at - clock.now() > first_due - row.received_at  # backing off
    failing["broken"] = False
    clock.freeze(row.next_attempt_at)
    assert _retry() == "1 failed messages queued again"
    row = _row()
    assert row.status == InboundStatus.PROCESSED
    # One word that it failed, once however many tries, then the real answer.
    sorry, reply = db.session.scalars(select(Outbox).order_by(Outbox.id)).all()
    assert sorry.body == t("reply.try_again")
    assert reply.body == row.reply == t("q.danger")
    assert reply.to == sorry.to == "+6280800000101"


def test_message_stays_failed_and_visible_after_the_last_attempt(poster, failing):
    clock.freeze(clock.now())
    poster.post("/webhooks/twilio/sms", load_form("sms_plain.txt"))
    run_worker()
    for _ in range(MAX_ATTEMPTS + 2):
        row = _row()
        if row.next_attempt_at is None:
            break
        clock.freeze(row.next_attempt_at)
        _retry()
    row = _row()
    assert row.status == InboundStatus.FAILED
    assert row.attempts == MAX_ATTEMPTS
    assert row.next_attempt_at is None


def test_a_message_whose_worker_died_mid_work_is_taken_again_and_answered_once(poster, monkeypatch):
    """A worker killed inside the transaction leaves nothing: the next one does it all."""
    import intake.pipeline

    real = intake.pipeline.handle_message

    def killed(session, row, *args, **kwargs):
        real(session, row, *args, **kwargs)  # the case is written, then the process dies
        session.flush()
        raise SystemExit(137)

    monkeypatch.setattr(intake.pipeline, "handle_message", killed)
    poster.post("/webhooks/twilio/sms", load_form("sms_emoji.txt"))
    with pytest.raises(SystemExit):
        run_worker()
    db.session.rollback()  # what the dead process's connection did, as the database sees it
    monkeypatch.undo()
    assert _row().status == InboundStatus.RECEIVED
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0
    assert db.session.scalar(select(func.count()).select_from(Outbox)) == 0

    run_worker()
    run_worker()
    assert _row().status == InboundStatus.PROCESSED
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1
    replies = db.session.scalars(select(Outbox).where(Outbox.purpose == "reply")).all()
    assert [r.status for r in replies] == ["sent"]


def test_a_reporter_first_written_by_a_failed_attempt_is_written_again(poster, monkeypatch):
    import intake.pipeline

    real = intake.pipeline.handle_message
    kept = []  # what a failed attempt leaves alive (a traceback, a cycle) until later
    attempts = {"n": 0}

    def flaky(session, row, *args, **kwargs):
        reply = real(session, row, *args, **kwargs)
        attempts["n"] += 1
        if attempts["n"] == 1:
            kept.extend(session.identity_map.values())
            raise RuntimeError("intake failed after writing")
        return reply

    monkeypatch.setattr(intake.pipeline, "handle_message", flaky)
    clock.freeze(clock.now())
    poster.post("/webhooks/twilio/sms", load_form("sms_plain.txt"))
    run_worker()
    assert _row().status == InboundStatus.FAILED
    clock.freeze(_row().next_attempt_at)
    _retry()
    row = _row()
    assert row.status == InboundStatus.PROCESSED
    assert row.reply == t("q.danger")
    assert row.reporter_id is not None


def test_a_failure_after_the_outcome_is_written_keeps_the_message_failed(poster, monkeypatch):
    from alerts import outbox

    real = outbox.enqueue_claimed
    calls = {"n": 0}

    def once_broken(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("the reply could not be written")
        return real(*args, **kwargs)

    monkeypatch.setattr(outbox, "enqueue_claimed", once_broken)
    clock.freeze(clock.now())
    poster.post("/webhooks/twilio/sms", load_form("sms_plain.txt"))
    run_worker()
    row = _row()
    assert (row.status, row.attempts, row.reporter_id) == (InboundStatus.FAILED, 1, None)
    (sorry,) = db.session.scalars(select(Outbox)).all()
    assert sorry.body == t("reply.try_again")
