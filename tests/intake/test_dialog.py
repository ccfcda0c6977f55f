"""The guided dialog, end to end through the SMS webhook: each path a reporter can take."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core import clock
from core.db import db
from core.demo import seed_demo
from models import Case, Dialog, DialogStatus, Outbox, Report
from tests.signing import Phone

REF = re.compile(r"\b[0-9A-Z]{6}\b")


@pytest.fixture
def phone(app, poster):
    seed_demo(db.session)
    from cases.routing import seed_default_rules

    seed_default_rules(db.session)
    db.session.commit()
    return Phone(poster, "+6280800000201")


def _cases() -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


def _only_case() -> Case:
    (case,) = db.session.scalars(select(Case)).all()
    return case


def _ref(reply: str) -> str:
    return next(m for m in REF.findall(reply) if any(c.isdigit() for c in m))


def test_complete_emergency_asks_nothing(phone):
    text = "Tolong!! ibu di sebelah rumah sy di desa Kotarindau sedang dipukuli suaminya pakai kayu"
    reply = phone.say(text)
    case = _only_case()
    assert case.reference in reply
    assert case.priority == "darurat"
    assert case.region_code == "72.10.12.2007"
    assert "?" not in reply  # no question asked
    assert "dipukuli" not in reply  # never repeats the report
    assert "Kotarindau" not in reply


def test_missing_place_is_asked_then_filed(phone):
    first = phone.say("suami sy memukul sy semalam, sy takut pulang")
    assert "desa" in first.lower()
    assert _cases() == 0 or _only_case().priority == "darurat"
    second = phone.say("Sidera kec Sigi Biromaru")
    while "?" in second:
        second = phone.say("2")
    case = _only_case()
    assert case.region_code == "72.10.01.2007"
    assert case.reference in second


def test_ambiguous_place_offers_numbered_districts(phone):
    first = phone.say("anak tetangga sy dipukul ayahnya tiap hari di desa Malino")
    assert re.search(r"\b1 [A-Z][a-z]", first)  # the choices name districts
    assert "dipukul" not in first
    second = phone.say("1")
    while "?" in second:
        second = phone.say("2")
    case = _only_case()
    assert case.region_code.count(".") == 3  # a village was settled
    assert db.session.get(Case, case.id).reference in second


def test_unknown_danger_yes_opens_an_emergency_at_once(phone):
    first = phone.say("sy mau lapor kdrt di desa Sidera kec Sigi Biromaru, suami pukul istri")
    assert "bahaya" in first.lower()
    assert _cases() == 0
    second = phone.say("1")
    case = _only_case()
    assert case.priority == "darurat"
    assert case.reference in second


def test_batal_cancels_without_a_case(phone):
    phone.say("suami sy memukul sy semalam")
    reply = phone.say("BATAL")
    assert "batal" in reply.lower()
    assert _cases() == 0
    assert db.session.scalar(select(Dialog.status)) == DialogStatus.CANCELLED


def test_expired_dialog_is_kept_as_a_report(phone):
    from intake.jobs import expire_dialogs

    phone.say("suami sy memukul sy semalam")
    assert _cases() == 0
    later = clock.now() + timedelta(hours=5)
    assert expire_dialogs(later) == "1 dialogs expired"
    case = _only_case()
    assert db.session.scalar(select(Report.case_id)) == case.id
    sent = db.session.scalar(select(Outbox).where(Outbox.case_id == case.id))
    assert case.reference in sent.body
    assert expire_dialogs(later) == "0 dialogs expired"


def test_english_is_answered_in_english(phone):
    reply = phone.say("my neighbour's daughter was sold to an agent, she is in Palu now")
    assert any(word in reply for word in ("village", "danger", "Report number", "Thank you"))


def test_reply_that_answers_nothing_is_asked_again_once(phone):
    phone.say("suami sy memukul sy semalam")
    again = phone.say("sy tidak tahu harus bagaimana")
    assert again.lower().startswith("maaf")
    moved_on = phone.say("pokoknya tolong bantu")
    assert not moved_on.lower().startswith("maaf")


def test_not_a_report_gets_information_not_a_case(phone):
    reply = phone.say("terima kasih ya")
    assert "SIGAP" in reply
    assert _cases() == 0


def test_status_from_the_reporter_names_the_status(phone):
    opened = phone.say(
        "Tolong!! ibu di sebelah rumah sy di desa Kotarindau sedang dipukuli suaminya pakai kayu"
    )
    ref = _only_case().reference
    assert ref in opened
    status = phone.say(f"STATUS {ref}")
    assert "baru" in status.lower()


def test_darurat_alone_opens_at_once_and_the_place_comes_after(phone):
    first = phone.say("DARURAT")
    case = _only_case()
    assert case.priority == "darurat"
    assert case.reference in first
    assert case.region_code == "72"  # nothing known yet: the province's services
    assert "desa" in first.lower()  # and the place is asked in the same reply
    phone.say("Sidera kec Sigi Biromaru")
    db.session.expire_all()
    case = _only_case()
    assert case.region_code == "72.10.01.2007"
    kinds = [event.kind for event in case.events]
    assert "located" in kinds
    assert {link.agency_id for link in case.agencies if link.is_active}  # still routed


def test_staff_number_gets_staff_help_not_a_dialog(phone, poster):
    from core.demo import demo_phone

    staff = Phone(poster, demo_phone(100))
    reply = staff.say("halo")
    assert "OK <nomor>" in reply
    assert _cases() == 0
