"""The reporter in reach, never exposed: staff write through SIGAP, replies land on the case."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from api import tokens
from core import clock
from core.db import db
from core.i18n import t
from models import Agency, AgencyRole, Case, CaseAgency, Outbox, Purpose, Report, Role
from tests.casework.conftest import phone, staff_of
from tests.signing import Phone

NUMBER = phone(1)
#: The number as it might appear anywhere: E.164, without the plus, or local.
SHAPES = (NUMBER, NUMBER.lstrip("+"), "0" + NUMBER[3:])


def _token(account) -> dict[str, str]:
    issued = tokens.issue(db.session, account, clock.now())[1]
    db.session.commit()
    return {"Authorization": f"Bearer {issued}"}


def _staff(case: Case, role: AgencyRole):
    link = db.session.scalars(
        select(CaseAgency).where(CaseAgency.case_id == case.id, CaseAgency.role == role)
    ).first()
    return staff_of(db.session.get(Agency, link.agency_id))


def _no_number(text: str) -> None:
    for shape in SHAPES:
        assert shape not in text


@pytest.fixture
def consenting_case(file_case) -> Case:
    return file_case(1, text="anak dilecehkan", may_contact=True)  # police support it


def test_staff_write_the_reporter_replies_and_only_a_consented_reveal_shows_the_number(
    consenting_case, client, poster, caplog
):
    caplog.set_level(logging.DEBUG)
    case = consenting_case
    primary = _token(_staff(case, AgencyRole.PRIMARY))
    ref = case.reference
    sent = client.post(
        f"/api/v1/cases/{ref}/messages", json={"text": "Kami datang besok pagi."}, headers=primary
    )
    assert sent.status_code == 201, sent.get_json()
    _no_number(sent.get_data(as_text=True))
    (row,) = db.session.scalars(select(Outbox).where(Outbox.purpose == Purpose.RELAY)).all()
    assert row.to == NUMBER
    assert row.channel == "sms"
    assert "Kami datang besok pagi." in row.body

    reply = Phone(poster, NUMBER).say("baik pak, sy tunggu di rumah")
    assert reply == t("reply.relay_received", "id")
    detail = client.get(f"/api/v1/cases/{ref}", headers=primary)
    events = {e["kind"]: e for e in detail.get_json()["timeline"]}
    assert events["reporter_reply"]["detail"]["text"] == "baik pak, sy tunggu di rumah"
    assert "message_to_reporter" in events
    _no_number(detail.get_data(as_text=True))
    assert len(db.session.scalars(select(Case)).all()) == 1  # the reply opened no new case

    supporting = _token(_staff(case, AgencyRole.SUPPORTING))
    refused = client.post(f"/api/v1/cases/{ref}/reporter-contact", headers=supporting)
    assert refused.status_code == 403
    _no_number(refused.get_data(as_text=True))
    _no_number(caplog.text)

    shown = client.post(f"/api/v1/cases/{ref}/reporter-contact", headers=primary)
    assert shown.status_code == 200
    assert shown.get_json() == {"phone": NUMBER}
    kinds = [
        e["kind"]
        for e in client.get(f"/api/v1/cases/{ref}", headers=primary).get_json()["timeline"]
    ]
    assert kinds.count("contact_revealed") == 1
    _no_number(caplog.text)  # the reveal is recorded, never logged with the number


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"may_contact": None}, "no_consent"),
        ({"may_contact": False}, "no_consent"),
        ({"may_contact": True, "is_anonymous": True}, "no_consent"),
    ],
)
def test_no_consent_or_anonymous_never_reveals(file_case, client, overrides, code):
    case = file_case(2, category="kdrt", victim="perempuan", text="suami pukul", **overrides)
    primary = _token(_staff(case, AgencyRole.PRIMARY))
    answer = client.post(f"/api/v1/cases/{case.reference}/reporter-contact", headers=primary)
    assert answer.status_code == 409
    assert answer.get_json()["error"]["code"] == code
    _no_number(answer.get_data(as_text=True))
    _no_number(phone(2))


def test_a_reporter_who_asked_not_to_be_contacted_is_not_written_to(file_case, client):
    case = file_case(3, category="kdrt", victim="perempuan", text="x", may_contact=False)
    primary = _token(_staff(case, AgencyRole.PRIMARY))
    answer = client.post(
        f"/api/v1/cases/{case.reference}/messages", json={"text": "halo"}, headers=primary
    )
    assert answer.status_code == 409
    assert db.session.scalars(select(Outbox).where(Outbox.purpose == Purpose.RELAY)).all() == []


def test_a_facilitators_report_has_no_reporter_to_write_to(file_case, client, agencies):
    from tests.api.conftest import make_account

    facilitator = make_account(Role.FACILITATOR, 50, region_code="72.10.01")
    case = file_case(source="app", facilitator_id=facilitator.id, reporter_id=None)
    primary = _token(_staff(case, AgencyRole.PRIMARY))
    answer = client.post(
        f"/api/v1/cases/{case.reference}/messages", json={"text": "halo"}, headers=primary
    )
    assert answer.status_code == 409
    assert db.session.scalar(select(Report.reporter_id)) is None


def test_a_question_from_a_reporter_with_an_open_case_lands_on_its_timeline(
    consenting_case, poster
):
    reply = Phone(poster, NUMBER).say("kapan petugas datang?")
    assert reply == t("reply.relay_received", "id")
    db.session.expire_all()
    kinds = [e.kind for e in db.session.get(Case, consenting_case.id).events]
    assert "reporter_reply" in kinds


def test_a_new_emergency_from_the_same_reporter_still_goes_through_intake(consenting_case, poster):
    reply = Phone(poster, NUMBER).say("tolong suami sy memukul sy sekarang di desa Sidera")
    assert reply != t("reply.relay_received", "id")
    db.session.expire_all()
    kinds = [e.kind for e in db.session.get(Case, consenting_case.id).events]
    assert "reporter_reply" not in kinds
    assert len(db.session.scalars(select(Report)).all()) == 2


def test_a_staff_message_leaves_from_the_number_the_reporter_wrote_to(file_case) -> None:
    from cases.relay import send_to_reporter
    from core.crypto import lookup_hash
    from models import InboundMessage

    message = InboundMessage(
        provider="smsgate",
        channel="sms",
        provider_message_id="Ey6ECgOkVVFjz3CL48B8C",
        sender_hash=lookup_hash(NUMBER),
        sender=NUMBER,
        body="anak dilecehkan",
    )
    db.session.add(message)
    db.session.flush()
    case = file_case(1, text="anak dilecehkan", may_contact=True, inbound_message_id=message.id)
    row_id = send_to_reporter(db.session, case, "Kami datang besok pagi.", None, clock.now())
    row = db.session.get(Outbox, row_id)
    assert (row.channel, row.via) == ("sms", "smsgate")
