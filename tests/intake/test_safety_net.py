"""The safety net: a sign of danger triage cannot be sure of is never biasa, and is asked first.

Also: why triage read a report as it did is kept with the report for staff.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from cases.routing import seed_default_rules
from core.db import db
from core.demo import seed_demo
from intake.triage import triage
from models import Case, Priority, Report
from tests.signing import Phone


@pytest.fixture
def phone(app, poster):
    seed_demo(db.session)
    seed_default_rules(db.session)
    db.session.commit()
    return Phone(poster, "+6280800000231")


@pytest.mark.parametrize(
    "text",
    [
        "tolong suami sy bentak2 sy terus",
        "help, my husband keeps shouting at me",
    ],
)
def test_an_uncertain_sign_of_danger_is_at_least_tinggi(text):
    result = triage(text)
    assert result.priority is Priority.TINGGI
    assert result.danger_uncertain
    assert not result.danger_known
    assert "tinggi: a sign of danger now, not certain" in result.reasons


def test_no_sign_of_danger_is_not_uncertain():
    result = triage("suami sy sering marah2 dan bentak sy")
    assert result.priority is Priority.BIASA
    assert not result.danger_uncertain


def test_the_first_reply_asks_about_danger_when_it_is_uncertain(phone):
    # No village named either: without the net, the place would be asked first.
    first = phone.say("tolong suami sy bentak2 sy terus")
    assert "bahaya" in first.lower()
    assert db.session.scalar(select(Case)) is None
    second = phone.say("2")  # nobody in danger now
    assert "desa" in second.lower() or "kelurahan" in second.lower()


def test_without_a_sign_of_danger_the_place_is_asked_first(phone):
    first = phone.say("suami sy sering pukul sy")
    assert "bahaya" not in first.lower()


def test_the_report_keeps_why_triage_read_it_so(phone):
    reply = phone.say(
        "Tolong!! ibu di sebelah rumah sy di desa Kotarindau sedang dipukuli suaminya pakai kayu"
    )
    report = db.session.scalar(select(Report))
    assert report is not None
    assert report.case.reference in reply
    reasons = json.loads(report.triage_reasons)
    assert reasons[0].startswith("kdrt: ")
    assert reasons[1].startswith("darurat: ")
    assert any("violence going on as they write" in reason for reason in reasons)
