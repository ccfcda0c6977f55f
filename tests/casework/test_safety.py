"""Reporter safety words: HAPUS forgets and silences a number, STOP/START opt it out and in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from alerts import outbox
from channels import Outgoing, SendOutcome, SendResult
from core import clock
from core.crypto import lookup_hash
from core.db import db
from core.i18n import t
from models import Case, Dialog, InboundMessage, Outbox, OutboxStatus, Purpose, Report, Reporter
from tests.signing import Phone

NUMBER = "+6280800000301"
STORY = "tolong suami sy memukul sy sekarang pakai kayu"


class Recorder:
    """A provider that accepts everything and remembers to whom."""

    name = "fake"

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    def send(self, msg: Outgoing) -> SendResult:
        self.sent.append(msg)
        return SendResult(SendOutcome.SENT, f"SM{len(self.sent):032d}")

    def find_sent(self, msg: Outgoing, since):
        return None


@pytest.fixture
def phone(agencies, poster):
    return Phone(poster, NUMBER)


def _queue_to_number(key: str) -> int:
    """A message for the number written now (as a later reply or staff message would be)."""
    return outbox.enqueue(
        db.session,
        key=key,
        purpose=Purpose.REPLY,
        to=NUMBER,
        channel="sms",
        body="SIGAP",
        now=clock.now(),
    )


def _drain() -> Recorder:
    provider = Recorder()
    outbox.drain(clock.now(), provider, "test-worker")
    return provider


def test_hapus_erases_the_dialog_keeps_the_case_and_silences_the_number(phone):
    first = phone.say(STORY)
    (case,) = db.session.scalars(select(Case)).all()
    assert case.priority == "darurat"
    assert "?" in first
    waiting = _queue_to_number("earlier")  # e.g. a reply still waiting to go
    db.session.commit()
    clock.advance(timedelta(minutes=1))

    reply = phone.say("HAPUS")

    assert reply == t("reply.safety.erased", "id")
    assert case.reference not in reply
    db.session.expire_all()
    # The dialog's texts are gone from the database: messages, dialog state, the report.
    bodies = [m.body for m in db.session.scalars(select(InboundMessage))]
    assert bodies
    assert not any("memukul" in b for b in bodies)
    assert not any("memukul" in d.state for d in db.session.scalars(select(Dialog)))
    assert not any("memukul" in r.text for r in db.session.scalars(select(Report)))
    # The emergency stays with the officers, and its alerts still go to staff.
    case = db.session.get(Case, case.id)
    staff_alerts = db.session.scalars(
        select(Outbox).where(Outbox.case_id == case.id, Outbox.account_id.is_not(None))
    ).all()
    assert staff_alerts
    assert db.session.get(Outbox, waiting).status == OutboxStatus.CANCELLED
    # STATUS from that number answers as to a stranger.
    clock.advance(timedelta(minutes=1))
    assert phone.say(f"STATUS {case.reference}") == t("case.status.unknown", "id")
    # Nothing more leaves for the number, whatever is written for it later.
    clock.advance(timedelta(minutes=1))
    later = _queue_to_number("later")
    db.session.commit()
    sent = _drain()
    assert NUMBER not in {m.to for m in sent.sent}
    assert {m.to for m in sent.sent} >= {a.to for a in staff_alerts}
    assert db.session.get(Outbox, later).status == OutboxStatus.SKIPPED


def test_stop_opts_out_until_start_and_is_not_batal(phone):
    assert phone.say("BATAL") == t("reply.nothing_to_cancel", "id")
    reporter = db.session.scalar(select(Reporter).where(Reporter.phone_hash == lookup_hash(NUMBER)))
    assert not reporter.is_opted_out

    clock.advance(timedelta(minutes=1))
    assert "MULAI" in phone.say("STOP")
    clock.advance(timedelta(minutes=1))
    refused = _queue_to_number("while-stopped")
    db.session.commit()
    assert _drain().sent == []
    assert db.session.get(Outbox, refused).status == OutboxStatus.SKIPPED

    clock.advance(timedelta(minutes=1))
    assert "BERHENTI" in phone.say("MULAI")
    clock.advance(timedelta(minutes=1))
    allowed = _queue_to_number("after-start")
    db.session.commit()
    assert [m.to for m in _drain().sent] == [NUMBER]
    assert db.session.get(Outbox, allowed).status == OutboxStatus.SENT


def test_stop_inside_a_sentence_is_a_report_not_an_opt_out(phone):
    phone.say("stop, suami sy memukul sy di desa Sidera")
    reporter = db.session.scalar(select(Reporter).where(Reporter.phone_hash == lookup_hash(NUMBER)))
    assert not reporter.is_opted_out


def _reply_rows() -> list[Outbox]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Outbox).where(Outbox.to_hash == lookup_hash(NUMBER)).order_by(Outbox.id)
        )
    )


def test_the_worker_sends_a_reply_once_and_none_after_stop(phone):
    assert phone.say("BANTUAN")
    (answered,) = _reply_rows()
    assert answered.status == OutboxStatus.SENT
    assert (answered.attempts, answered.claimed_by, answered.claimed_at) == (1, None, None)
    assert answered.provider_message_id is not None

    clock.advance(timedelta(minutes=1))
    assert "MULAI" in phone.say("STOP")  # the answer to STOP itself still goes
    clock.advance(timedelta(minutes=1))
    phone.say("BANTUAN")

    _, to_stop, after = _reply_rows()
    assert to_stop.status == OutboxStatus.SENT
    # Written while the number is opted out: kept, never claimed, never sent.
    assert after.status == OutboxStatus.SKIPPED
    assert (after.claimed_by, after.sent_at, after.provider_message_id) == (None, None, None)
    assert _drain().sent == []
