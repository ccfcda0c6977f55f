"""Erasure on request: a case's personal fields go, its facts and its timeline stay."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from sqlalchemy import select

from alerts.outbox import enqueue
from cases import ReportIn, TimelineIsAppendOnly, file_report, timeline
from core import clock
from core.crypto import lookup_hash
from core.db import db
from models import Case, CaseEvent, InboundMessage, Outbox, OutboxStatus, Report, Reporter
from security.erasure import ERASED, NotAllowed, erase_case
from tests.security.conftest import NOTE, PROFILE, REASON, REPORTER, WA_REPORTER, World
from tests.security.test_rotation import plain_values

WHY = "permintaan korban, surat no. 12/2026"


def erase(app: Flask, reference: str, by: int, reason: str = WHY) -> str:
    result = app.test_cli_runner().invoke(
        args=["cases", "erase", reference, "--by", str(by), "--reason", reason]
    )
    return f"{result.exit_code} {result.output}"


def events(case_id: int) -> list[CaseEvent]:
    db.session.expire_all()
    query = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
    return list(db.session.scalars(query))


def test_erasing_a_case_leaves_no_personal_text_of_it(app: Flask, world: World) -> None:
    case_id, reference, admin_id = world.case.id, world.case.reference, world.admin.id
    reporter_id = db.session.scalar(
        select(Reporter.id).where(Reporter.phone_hash == lookup_hash(REPORTER))
    )
    enqueue(
        db.session,
        key="test:reply",
        purpose="reply",
        to=REPORTER,
        channel="sms",
        body="Terima kasih.",
        reporter_id=reporter_id,
        case_id=case_id,
        now=clock.now(),
    )
    db.session.commit()
    said = erase(app, reference, admin_id)
    assert said.startswith("0 case ")
    assert "1 reports" in said
    assert "1 reporter numbers" in said
    texts = [v for v in plain_values().values() if v]
    for secret in (NOTE, REASON, REPORTER, "tetangga sy di desa Sidera"):
        assert not any(secret in t for t in texts), secret
    db.session.expire_all()
    assert db.session.scalar(select(Report.text)) == ERASED
    assert (
        db.session.scalar(select(Reporter).where(Reporter.phone_hash == lookup_hash(REPORTER)))
        is None
    )
    reply = db.session.scalar(select(Outbox).where(Outbox.idempotency_key == "test:reply"))
    assert (reply.to, reply.status) == (ERASED, OutboxStatus.CANCELLED)


def test_the_case_and_its_timeline_stay_with_one_more_line(app: Flask, world: World) -> None:
    case_id, admin_id = world.case.id, world.admin.id
    before = [(e.id, e.kind, e.at, e.actor, e.actor_account_id) for e in events(case_id)]
    erase(app, world.case.reference, admin_id)
    after = events(case_id)
    assert [(e.id, e.kind, e.at, e.actor, e.actor_account_id) for e in after[:-1]] == before
    by_kind = {e.kind: timeline.details(e) for e in after}
    assert by_kind["note"] == {"text": ERASED}
    assert by_kind["status"] == {"from_status": "baru", "to_status": "ditolak", "reason": ERASED}
    assert by_kind["routed"]["agencies"]  # facts stay
    last = after[-1]
    assert (last.kind, last.actor_account_id, last.actor) == ("erased", admin_id, "admin")
    assert last.at == clock.now()
    detail = timeline.details(last)
    assert detail["reason"] == WHY
    assert detail["reports"] == 1
    assert detail["events"] == 2
    assert not any(NOTE in json.dumps(v) for v in detail.values())
    case = db.session.get(Case, case_id)
    assert (case.category, case.priority, case.status.value) == ("kdrt", "darurat", "ditolak")


def test_other_reporters_and_their_messages_are_untouched(app: Flask, world: World) -> None:
    erase(app, world.case.reference, world.admin.id)
    other = db.session.scalar(
        select(InboundMessage).where(InboundMessage.sender_hash == lookup_hash(WA_REPORTER))
    )
    assert (other.sender, other.profile_name, other.body) == (
        WA_REPORTER,
        PROFILE,
        "ada anak dipukuli",
    )


def test_a_reporter_with_another_case_keeps_their_number(app: Flask, world: World) -> None:
    reporter = db.session.scalar(
        select(Reporter).where(Reporter.phone_hash == lookup_hash(REPORTER))
    )
    other = ReportIn(
        source="sms",
        text="calo menjanjikan kerja di luar negeri",
        category="tppo",
        victim="perempuan",
        priority="biasa",
        region_code="72.02.01.1001",
        reporter_id=reporter.id,
    )
    other_case = file_report(db.session, other, clock.now()).case
    db.session.commit()
    assert other_case.id != world.case.id
    erase(app, world.case.reference, world.admin.id)
    db.session.expire_all()
    kept = db.session.scalar(select(Reporter).where(Reporter.phone_hash == lookup_hash(REPORTER)))
    assert kept is not None
    assert kept.phone == REPORTER
    first = db.session.scalar(
        select(InboundMessage).where(InboundMessage.sender_hash == lookup_hash(REPORTER))
    )
    assert (first.sender, first.body) == (REPORTER, ERASED)  # what was said still goes
    texts = {r.case_id: r.text for r in db.session.scalars(select(Report))}
    assert texts == {world.case.id: ERASED, other_case.id: other.text}


def test_only_an_admin_may_erase(app: Flask, world: World) -> None:
    said = erase(app, world.case.reference, world.staff.id)
    assert said.startswith("1 ")
    assert "not an active admin" in said
    assert "Traceback" not in said
    assert "dipukuli" in db.session.scalar(select(Report.text))
    with pytest.raises(NotAllowed):
        erase_case(db.session, world.case, world.staff, WHY, clock.now())
    assert erase(app, "ZZZZZZ", world.admin.id).startswith("1 ")
    assert "needs a reason" in erase(app, world.case.reference, world.admin.id, reason="  ")


def test_erasing_twice_is_harmless_and_recorded_twice(app: Flask, world: World) -> None:
    erase(app, world.case.reference, world.admin.id)
    said = erase(app, world.case.reference, world.admin.id, reason="diulang")
    assert "0 reports, 0 messages, 0 dialogs, 0 timeline entries" in said
    erased = [timeline.details(e) for e in events(world.case.id) if e.kind == "erased"]
    assert [e["reason"] for e in erased] == [WHY, "diulang"]


def test_the_timeline_still_refuses_every_other_change(world: World) -> None:
    note = next(e for e in world.case.events if e.kind == "note")
    note.detail = json.dumps({"text": "isi lain"})
    with pytest.raises(TimelineIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    note = next(e for e in world.case.events if e.kind == "note")
    assert timeline.redact(note)
    note.kind = "status"  # a redaction that also changes something else
    with pytest.raises(TimelineIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    routed = next(e for e in world.case.events if e.kind == "routed")
    assert not timeline.redact(routed)  # no free text: nothing to blank
    routed.detail = json.dumps({"agencies": {}})
    with pytest.raises(TimelineIsAppendOnly):
        db.session.flush()


def test_a_dialogs_answers_are_erased_even_when_the_number_is_kept(
    app: Flask, world: World, poster
) -> None:
    from tests.signing import Phone

    phone = Phone(poster, REPORTER)
    phone.sent = 100  # message ids of their own
    # A second report by the same person, told over a few questions.
    for text in ("suami saya memukul saya", "Sidera", "tidak", "ya"):
        phone.say(text)
    mine = select(InboundMessage).where(InboundMessage.sender_hash == lookup_hash(REPORTER))
    first_report = db.session.scalar(select(Report).where(Report.case_id == world.case.id))
    dialog_report = db.session.scalar(
        select(Report).where(Report.case_id != world.case.id, Report.source == "sms")
    )
    answers = [m for m in db.session.scalars(mine) if m.dialog_id is not None]
    assert len(answers) >= 2  # the dialog asked, and was answered
    # The first case keeps the reporter's number; erasing the second must reach every answer.
    erase(app, dialog_report.case.reference, world.admin.id)
    db.session.expire_all()
    bodies = {m.id: m.body for m in db.session.scalars(mine)}
    assert bodies.pop(first_report.inbound_message_id) != ERASED
    assert set(bodies.values()) == {ERASED}
    kept = db.session.scalar(select(Reporter).where(Reporter.phone_hash == lookup_hash(REPORTER)))
    assert kept.phone == REPORTER
