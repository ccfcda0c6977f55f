"""The UU TPKS 3x24-hour police-report deadline: shown, reminded at 48 h, escalated at 72 h."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from alerts.rosters import on_call, zone
from cases import jobs
from core.db import db
from models import Account, Agency, CaseAgency, Outbox, Purpose
from tests.casework.conftest import T0, coordinator, outbox_to


def _notices(kind: str) -> list[Outbox]:
    rows = db.session.scalars(select(Outbox).where(Outbox.purpose == Purpose.NOTICE)).all()
    return [r for r in rows if r.idempotency_key.startswith(kind)]


def _agencies_on(case) -> list[Agency]:
    ids = db.session.scalars(select(CaseAgency.agency_id).where(CaseAgency.case_id == case.id))
    return list(db.session.scalars(select(Agency).where(Agency.id.in_(list(ids)))))


def test_the_48_hour_reminder_and_72_hour_escalation_each_fire_once(file_case):
    case = file_case()
    assert case.police_report_due_at == T0 + timedelta(hours=72)
    assert jobs.police_deadlines(T0 + timedelta(hours=47, minutes=59)) == "reminded 0, escalated 0"
    assert jobs.police_deadlines(T0 + timedelta(hours=48)) == "reminded 1, escalated 0"
    assert jobs.police_deadlines(T0 + timedelta(hours=48, minutes=5)) == "reminded 0, escalated 0"
    reminders = _notices("police_48h")
    # Each agency on the case hears of it once, by SMS, with the reference and the deadline.
    assert len(reminders) == len(_agencies_on(case)) >= 2
    assert all(case.reference in r.body and "LAPORPOLISI" in r.body for r in reminders)
    assert jobs.police_deadlines(T0 + timedelta(hours=72)) == "reminded 0, escalated 1"
    assert jobs.police_deadlines(T0 + timedelta(hours=80)) == "reminded 0, escalated 0"
    escalations = _notices("police_72h")
    told = {r.account_id for r in escalations}
    at = T0 + timedelta(hours=72)
    supervisors = {on_call(db.session, a.id, at, zone()).supervisor.id for a in _agencies_on(case)}
    assert coordinator().id in told
    assert supervisors <= told
    assert len(escalations) == len(told)  # once each
    kinds = [e.kind for e in case.events]
    assert kinds.count("police_reminded") == 1
    assert kinds.count("police_escalated") == 1


def test_nothing_fires_once_the_police_report_is_recorded(file_case, client):
    case = file_case()
    staff = db.session.scalars(
        select(Account).where(Account.agency_id == case.agencies[0].agency_id)
    ).first()
    from cases.police import record_police_report

    record_police_report(db.session, case, T0 + timedelta(hours=30), staff)
    db.session.commit()
    for hours in (48, 60, 72, 96):
        assert jobs.police_deadlines(T0 + timedelta(hours=hours)) == "reminded 0, escalated 0"
    assert _notices("police_") == []
    assert outbox_to(coordinator(), "police_") == []


def test_a_reminder_sent_then_a_report_recorded_stops_the_escalation(file_case):
    case = file_case()
    assert jobs.police_deadlines(T0 + timedelta(hours=49)) == "reminded 1, escalated 0"
    from cases.police import record_police_report

    record_police_report(db.session, case, T0 + timedelta(hours=50), None, "system")
    db.session.commit()
    assert jobs.police_deadlines(T0 + timedelta(hours=73)) == "reminded 0, escalated 0"


def test_other_categories_have_no_police_deadline(file_case):
    file_case(category="kdrt", victim="perempuan", text="suami pukul istri")
    assert jobs.police_deadlines(T0 + timedelta(hours=72)) == "reminded 0, escalated 0"


def test_laporpolisi_by_sms_from_staff_on_the_case_records_it(file_case, poster):
    from tests.casework.conftest import staff_of
    from tests.signing import Phone

    case = file_case()
    agency = db.session.get(Agency, case.agencies[0].agency_id)
    stranger = Phone(poster, "+6280800000399")
    stranger.say(f"LAPORPOLISI {case.reference}")
    db.session.expire_all()
    assert db.session.get(type(case), case.id).police_reported_at is None
    reply = Phone(poster, staff_of(agency).phone).say(f"laporpolisi {case.reference}")
    assert case.reference in reply
    db.session.expire_all()
    assert db.session.get(type(case), case.id).police_reported_at == T0
    assert jobs.police_deadlines(T0 + timedelta(hours=72)) == "reminded 0, escalated 0"
