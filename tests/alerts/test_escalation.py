"""Escalation: alert at once, again at the deadline, then backup and supervisor, until acked."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import select

from alerts import escalation, notify
from alerts.escalation import MAX_LEVEL, step_after
from core import clock
from core.db import db
from models import AlertChain, CaseEvent, Outbox, OutboxStatus, Purpose, RosterSlot

WITA = ZoneInfo("Asia/Makassar")


def messages() -> list[tuple[Purpose, int | None]]:
    """Return (purpose, account) of every outbox row, oldest first."""
    db.session.expire_all()
    return [
        (r.purpose, r.account_id) for r in db.session.scalars(select(Outbox).order_by(Outbox.id))
    ]


def tick(minutes: float) -> None:
    """Move the clock and run the escalation job as the scheduler would."""
    clock.advance(timedelta(minutes=minutes))
    escalation.escalate(db.session, clock.now(), WITA)
    db.session.commit()


def test_timeline_without_acknowledgement(make_case, demo, frozen) -> None:
    team = demo.teams["UPTD-PPA-72"]
    case = make_case(team.agency, "darurat", ack_in=timedelta(minutes=15))
    notify.case_routed(db.session, case, [team.agency], clock.now())
    db.session.commit()
    p, b, s, c = team.primary.id, team.backup.id, team.supervisor.id, demo.coordinator.id
    assert messages() == [(Purpose.ALERT, p)]
    tick(14.9)
    assert len(messages()) == 1  # the deadline has not passed
    tick(0.1)  # 15 min: the deadline
    assert messages()[1:] == [(Purpose.REMINDER, p)]
    tick(step_after("darurat", 1).total_seconds() / 60)  # 25 min
    assert messages()[2:] == [(Purpose.ESCALATION, b), (Purpose.ESCALATION, s)]
    tick(step_after("darurat", 2).total_seconds() / 60)  # 45 min: everyone, and the coordinator
    assert sorted(messages()[4:]) == sorted([(Purpose.ESCALATION, x) for x in (p, b, s, c)])
    events = db.session.scalars(select(CaseEvent.kind).order_by(CaseEvent.id)).all()
    assert events == ["alerted", "escalated", "escalated", "escalated"]


def test_acknowledgement_in_between_stops_the_chain(make_case, demo, frozen) -> None:
    team = demo.teams["UPTD-PPA-72"]
    case = make_case(team.agency, "darurat", ack_in=timedelta(minutes=15))
    notify.case_routed(db.session, case, [team.agency], clock.now())
    db.session.commit()
    tick(15)
    tick(10)  # backup and supervisor alerted
    clock.advance(timedelta(minutes=2))
    case.acknowledged_at = clock.now()
    notify.case_acknowledged(db.session, case, team.backup, clock.now())
    db.session.commit()
    before = messages()
    assert before[-1] == (Purpose.CONFIRMATION, team.backup.id)
    for _ in range(12):
        tick(10)
    assert messages() == before
    chain = db.session.scalars(select(AlertChain)).one()
    assert (chain.next_at, chain.stop_reason) == (None, "acknowledged")


def test_acknowledged_before_the_reminder_left_cancels_it(make_case, demo, frozen) -> None:
    team = demo.teams["UPTD-PPA-72"]
    case = make_case(team.agency, "tinggi", ack_in=timedelta(hours=1))
    notify.case_routed(db.session, case, [team.agency], clock.now())
    tick(60)  # reminder written, not yet drained
    case.acknowledged_at = clock.now()
    notify.case_acknowledged(db.session, case, team.primary, clock.now())
    db.session.commit()
    statuses = {r.purpose: r.status for r in db.session.scalars(select(Outbox))}
    assert statuses[Purpose.REMINDER] == OutboxStatus.CANCELLED
    assert statuses[Purpose.CONFIRMATION] == OutboxStatus.PENDING


def test_acknowledged_without_the_hook_still_stops_at_the_next_step(
    make_case, demo, frozen
) -> None:
    team = demo.teams["UPTD-PPA-72"]
    case = make_case(team.agency)
    notify.case_routed(db.session, case, [team.agency], clock.now())
    case.acknowledged_at = clock.now()
    db.session.commit()
    tick(15)
    assert len(messages()) == 1
    assert db.session.scalars(select(AlertChain)).one().stop_reason == "acknowledged"


def test_closed_case_stops_and_routing_twice_alerts_once(make_case, demo, frozen) -> None:
    team = demo.teams["UPTD-PPA-72"]
    case = make_case(team.agency)
    notify.case_routed(db.session, case, [team.agency], clock.now())
    notify.case_routed(db.session, case, [team.agency], clock.now())
    notify.case_closed(db.session, case, clock.now())
    db.session.commit()
    tick(60)
    assert [r.status for r in db.session.scalars(select(Outbox))] == [OutboxStatus.CANCELLED]


def test_chain_gives_up_after_the_last_level_and_tells_admins(make_case, demo, frozen) -> None:
    team = demo.teams["UPTD-PPA-72"]
    case = make_case(team.agency)
    notify.case_routed(db.session, case, [team.agency], clock.now())
    db.session.commit()
    for _ in range(MAX_LEVEL + 2):
        tick(60)
    chain = db.session.scalars(select(AlertChain)).one()
    assert (chain.level, chain.stop_reason) == (MAX_LEVEL, "exhausted")
    admin = [r for r in db.session.scalars(select(Outbox)) if r.purpose == Purpose.ADMIN]
    assert len(admin) == 1
    assert case.reference in admin[0].body


def test_nobody_rostered_alerts_the_agency_staff(make_case, demo, frozen) -> None:
    team = demo.teams["POLRES-SIGI-PPA"]
    db.session.execute(RosterSlot.__table__.delete().where(RosterSlot.agency_id == team.agency.id))
    case = make_case(team.agency)
    notify.case_routed(db.session, case, [team.agency], clock.now())
    assert {a for _, a in messages()} == {team.primary.id, team.backup.id, team.supervisor.id}


def test_whatsapp_template_when_configured(app: Flask, make_case, demo, frozen) -> None:
    app.config.update(
        TWILIO_WHATSAPP_FROM="whatsapp:+6280800000001",
        SIGAP_WA_ALERT_CONTENT_SID="HX0000000000000000000000000000a1e7",
    )
    team = demo.teams["UPTD-PPA-72"]
    case = make_case(team.agency, "darurat", category="tppo")
    notify.case_routed(db.session, case, [team.agency], clock.now())
    (row,) = db.session.scalars(select(Outbox)).all()
    assert (row.channel, row.content_sid) == ("whatsapp", "HX0000000000000000000000000000a1e7")
    assert case.reference in row.content_variables
    assert "TPPO" in row.content_variables


def test_biasa_waits_for_the_digest_but_escalates_after_its_deadline(
    make_case, demo, frozen
) -> None:
    team = demo.teams["UPTD-PPA-72"]
    case = make_case(team.agency, "biasa", ack_in=timedelta(days=2))
    notify.case_routed(db.session, case, [team.agency], clock.now())
    db.session.commit()
    assert messages() == []
    chain = db.session.scalars(select(AlertChain)).one()
    assert chain.digest_at is not None
    tick(2 * 24 * 60)
    assert messages() == [(Purpose.REMINDER, team.primary.id)]


def test_whatsapp_cloud_template_when_configured(app: Flask, make_case, demo, frozen) -> None:
    app.config.update(
        WHATSAPP_CLOUD_ACCESS_TOKEN="token",
        WHATSAPP_CLOUD_PHONE_NUMBER_ID="100000000000002",
        WHATSAPP_CLOUD_ALERT_TEMPLATE="sigap_alert",
    )
    team = demo.teams["UPTD-PPA-72"]
    case = make_case(team.agency, "darurat", category="tppo")
    notify.case_routed(db.session, case, [team.agency], clock.now())
    (row,) = db.session.scalars(select(Outbox)).all()
    assert (row.channel, row.content_sid) == ("whatsapp", "sigap_alert")
    assert case.reference in row.content_variables
