"""An OK by SMS answers for the sender's own agency: a forged number cannot silence the rest."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from alerts import escalation, notify
from cases import acknowledge, handle_command
from core import clock
from core.crypto import lookup_hash
from core.db import db
from core.i18n import t
from models import AgencyRole, AlertChain, CaseAgency, CaseStatus, Outbox, Purpose

WITA = ZoneInfo("Asia/Makassar")


def _case_at_two_agencies(make_case, demo):
    first, police = demo.teams["DP3A-7210"], demo.teams["POLRES-SIGI-PPA"]
    case = make_case(first.agency, "darurat", ack_in=timedelta(minutes=15))
    case.reference = "K7M4CH"  # one staff can type
    case.agencies.append(CaseAgency(agency_id=police.agency.id, role=AgencyRole.SUPPORTING))
    db.session.flush()
    notify.case_routed(db.session, case, [first.agency, police.agency], clock.now())
    db.session.commit()
    return case, first, police


def _reminded(accounts) -> set[int]:
    later = (Purpose.REMINDER, Purpose.ESCALATION)
    rows = db.session.scalars(select(Outbox).where(Outbox.purpose.in_(later))).all()
    return {r.account_id for r in rows if r.account_id in accounts}


def _running() -> set[int]:
    db.session.expire_all()
    chains = db.session.scalars(select(AlertChain).where(AlertChain.stopped_at.is_(None)))
    return {c.agency_id for c in chains}


def test_ok_by_sms_stops_only_the_senders_agency(make_case, demo, frozen) -> None:
    case, first, police = _case_at_two_agencies(make_case, demo)
    reply = handle_command(
        db.session, "ack", case.reference, lookup_hash(first.primary.phone), clock.now()
    )
    db.session.commit()
    assert reply == t("case.ack.done", "id", ref=case.reference)
    assert case.status == CaseStatus.DITERIMA
    assert _running() == {police.agency.id}
    clock.advance(timedelta(minutes=15))
    escalation.escalate(db.session, clock.now(), WITA)
    db.session.commit()
    police_staff = {police.primary.id, police.backup.id, police.supervisor.id}
    first_staff = {first.primary.id, first.backup.id, first.supervisor.id}
    assert _reminded(police_staff)  # the police are still asked to act
    assert not _reminded(first_staff)
    # The police officer's own OK stops the police chain.
    handle_command(
        db.session, "ack", case.reference, lookup_hash(police.primary.phone), clock.now()
    )
    db.session.commit()
    assert _running() == set()


def test_an_acknowledgement_in_the_api_answers_for_every_agency(make_case, demo, frozen) -> None:
    case, first, police = _case_at_two_agencies(make_case, demo)
    handle_command(db.session, "ack", case.reference, lookup_hash(first.primary.phone), clock.now())
    assert _running() == {police.agency.id}
    assert acknowledge(db.session, case, first.backup, clock.now())
    db.session.commit()
    assert _running() == set()
    assert not case.acknowledged_by_sms
