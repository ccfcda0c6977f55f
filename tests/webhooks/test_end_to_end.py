"""An emergency SMS from the sample corpus, through the webhook to a routed case and back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from cases import seed_default_rules
from core.db import db
from core.demo import seed_demo
from models import Agency, Case, CaseAgency
from tests.signing import Phone

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus" / "reports.jsonl"


def _corpus_darurat() -> list[dict]:
    items = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    return [
        i for i in items if i["priority"] == "darurat" and i["location"] not in (None, "AMBIGUOUS")
    ]


@pytest.fixture
def demo(app):
    seed_demo(db.session)
    seed_default_rules(db.session)
    db.session.commit()


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize("item", _corpus_darurat()[:3], ids=lambda i: i["location"])
def test_emergency_sms_opens_a_routed_case_with_a_deadline(poster, item):
    reporter = Phone(poster, "+6280800000401")
    reply = reporter.say(item["text"])
    case = db.session.scalar(select(Case))
    assert case is not None
    assert case.reference in reply  # the very first reply carries the reference
    assert (case.priority, case.category, case.region_code) == (
        "darurat",
        item["category"],
        item["location"],
    )
    assert case.ack_due_at is not None
    assert (case.ack_due_at - case.opened_at).total_seconds() == 15 * 60
    agencies = set(
        db.session.scalars(
            select(Agency.code)
            .join(CaseAgency, CaseAgency.agency_id == Agency.id)
            .where(CaseAgency.case_id == case.id)
        )
    )
    assert any(code.startswith(("POLDA", "POLRES")) for code in agencies)  # police for darurat
    assert any(code.startswith(("UPTD", "DP3A")) for code in agencies)  # and the service
    kinds = [event.kind for event in case.events]
    assert kinds[:2] == ["opened", "routed"]

    status = reporter.say(f"STATUS {case.reference}")
    assert "baru" in status.lower()
    stranger = Phone(poster, "+6280800000402")
    assert stranger.say(f"STATUS {case.reference}") == stranger.say("STATUS HJK769")


@pytest.mark.usefixtures("demo")
def test_an_emergency_joining_a_waiting_case_alerts_at_once(poster):
    from cases import ReportIn, file_report
    from core import clock
    from models import Account, Outbox, Purpose

    # A facilitator's report of a quarrel, not urgent: it waits for the digest.
    case = file_report(
        db.session,
        ReportIn(
            source="app",
            text="pertengkaran rumah tangga",
            category="kdrt",
            victim="perempuan",
            priority="biasa",
            region_code="72.10.01.2007",
        ),
        clock.now(),
    ).case
    db.session.commit()
    assert case.priority != "darurat"
    first_agencies = {link.agency_id for link in case.agencies}
    Phone(poster, "+6280800000412").say(
        "tolong di desa Sidera suami lagi pukul istrinya pakai parang sekarang"
    )
    db.session.expire_all()
    (joined,) = db.session.scalars(select(Case)).all()
    assert joined.priority == "darurat"
    alerted = set(
        db.session.scalars(
            select(Account.agency_id)
            .join(Outbox, Outbox.account_id == Account.id)
            .where(Outbox.purpose == Purpose.ALERT, Outbox.case_id == joined.id)
        )
    )
    # The agencies that had the case waiting for a digest are alerted now, not tomorrow.
    assert first_agencies <= alerted
