"""SMS commands: staff on the case act, the reporter hears its status, others learn nothing."""

import re

import pytest

from cases import acknowledge, change_status, file_report, handle_command, pins, refer
from core import clock
from core.crypto import lookup_hash
from core.db import db
from core.i18n import t
from models import CaseStatus
from tests.cases.conftest import phone, report_in, staff_of

REPORT_TEXT = "suami tetangga memukul istrinya di kebun"


def send(kind, reference, number, lang=None, pin=None):
    return handle_command(db.session, kind, reference, lookup_hash(number), clock.now(), lang, pin)


@pytest.fixture
def case(agencies, reporter):
    person = reporter(7001)
    return file_report(
        db.session, report_in(reporter_id=person.id, text=REPORT_TEXT), clock.now()
    ).case


def test_ok_from_an_unknown_number_changes_nothing(case, handoffs):
    before = (case.status, len(case.events))
    reply = send("ack", case.reference, phone(7999))
    assert reply == t("case.cmd.neutral", "id")
    assert case.reference not in reply
    assert (case.status, len(case.events)) == before
    assert handoffs.of("acknowledged") == []


def test_ok_from_staff_of_another_agency_is_answered_like_a_stranger(case, agencies):
    elsewhere = staff_of(agencies["UPTD-PPA-7271"]).phone
    assert send("ack", case.reference, elsewhere) == send("ack", case.reference, phone(7999))
    assert send("ack", "XXXXXX", phone(7999)) == t("case.cmd.neutral", "id")
    assert case.status == CaseStatus.BARU


def test_ok_from_an_inactive_account_changes_nothing(case, agencies):
    officer = staff_of(agencies["DP3A-7210"])
    officer.is_active = False
    assert send("ack", case.reference, officer.phone) == t("case.cmd.neutral", "id")
    assert case.status == CaseStatus.BARU


def test_ok_from_staff_on_the_case_acknowledges(case, agencies, handoffs):
    officer = staff_of(agencies["DP3A-7210"])
    reply = send("ack", case.reference.lower(), officer.phone)
    assert reply == t("case.ack.done", "id", ref=case.reference)
    assert case.status == CaseStatus.DITERIMA
    # By SMS, for the officer's own agency only.
    assert handoffs.of("acknowledged") == []
    assert handoffs.of("agency_acknowledged") == [(case.id, officer.id, officer.agency_id)]
    again = send("ack", case.reference, officer.phone)
    assert again == t("case.cmd.unchanged", "id", ref=case.reference, status="diterima")


def test_selesai_closes_an_acknowledged_case(case, agencies, handoffs):
    officer = staff_of(agencies["DP3A-7210"])
    pins.set_pin(officer, "4821")
    assert send("close", case.reference, officer.phone, pin="4821") == t(
        "case.close.ack_first", "id", ref=case.reference
    )
    assert case.status == CaseStatus.BARU
    send("ack", case.reference, officer.phone)
    assert send("close", case.reference, officer.phone, pin="4821") == t(
        "case.close.done", "id", ref=case.reference
    )
    assert case.status == CaseStatus.SELESAI
    assert handoffs.of("closed") == [case.id]
    assert "selesai" in send("close", case.reference, officer.phone, pin="4821")


def test_selesai_without_the_right_pin_changes_nothing(case, agencies, handoffs):
    officer = staff_of(agencies["DP3A-7210"])
    send("ack", case.reference, officer.phone)
    neutral = t("case.cmd.neutral", "id")
    assert send("close", case.reference, officer.phone) == neutral  # no PIN set
    pins.set_pin(officer, "4821")
    for pin in (None, "0000", "48211", "abcd"):
        assert send("close", case.reference, officer.phone, pin=pin) == neutral
    assert case.status == CaseStatus.DITERIMA
    assert handoffs.of("closed") == []
    # Five wrong PINs in a row: even the right one no longer works until it is set again.
    assert send("close", case.reference, officer.phone, pin="1111") == neutral
    assert send("close", case.reference, officer.phone, pin="4821") == neutral
    assert case.status == CaseStatus.DITERIMA
    pins.set_pin(officer, "4821")
    assert send("close", case.reference, officer.phone, pin="4821") == t(
        "case.close.done", "id", ref=case.reference
    )


def test_selesai_from_anyone_else_changes_nothing(case, agencies):
    acknowledge(db.session, case, staff_of(agencies["DP3A-7210"]), clock.now())
    assert send("close", case.reference, phone(7999)) == t("case.cmd.neutral", "id")
    assert case.status == CaseStatus.DITERIMA


def test_status_answers_the_reporter_in_plain_words(case, agencies):
    reply = send("status", case.reference, phone(7001))
    assert reply == t("case.status.baru", "id", ref=case.reference)
    assert "BARU" in reply
    acknowledge(db.session, case, staff_of(agencies["DP3A-7210"]), clock.now())
    assert "DITERIMA" in send("status", case.reference, phone(7001))


@pytest.mark.parametrize("status", list(CaseStatus))
@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_status_has_its_own_plain_answer(case, status, lang):
    case.status = status
    reply = send("status", case.reference, phone(7001), lang)
    assert status.value.upper() in reply
    assert case.reference in reply
    assert len(reply) <= 160  # one SMS segment
    said = set(re.findall(r"\w+", reply.lower()))
    assert not said & (set(REPORT_TEXT.split()) | {"kdrt", "kekerasan", "violence", "sidera"})


def test_status_to_a_stranger_is_the_answer_for_no_such_reference(case, reporter):
    reporter(7002)  # a reporter too, of nothing in this case
    stranger = send("status", case.reference, phone(7002))
    assert stranger == send("status", "XXXXXX", phone(7002))
    assert stranger == send("status", "P3TW9H", phone(7002))
    assert stranger == send("status", case.reference, phone(7999))  # never reported at all
    assert case.reference not in stranger
    assert stranger == t("case.status.unknown", "id")


def test_status_speaks_the_reporters_language(agencies, reporter):
    person = reporter(7003, language="en")
    case = file_report(db.session, report_in(reporter_id=person.id), clock.now()).case
    assert send("status", case.reference, phone(7003)) == t(
        "case.status.baru", "en", ref=case.reference
    )
    assert send("status", "XXXXXX", phone(7003)) == t("case.status.unknown", "en")


def test_staff_asking_status_learn_nothing_either(case, agencies):
    officer = staff_of(agencies["DP3A-7210"])
    assert send("status", case.reference, officer.phone) == t("case.status.unknown", "id")


def test_a_referred_case_is_acknowledged_by_the_new_agency_only(case, agencies):
    old = staff_of(agencies["DP3A-7210"])
    change_status(db.session, case, CaseStatus.DITERIMA, clock.now(), old)
    refer(db.session, case, agencies["UPTD-PPA-72"], clock.now(), old)
    assert send("ack", case.reference, old.phone) == t("case.cmd.neutral", "id")
    new = staff_of(agencies["UPTD-PPA-72"])
    assert send("ack", case.reference, new.phone) == t("case.ack.done", "id", ref=case.reference)


def test_an_unknown_kind_is_a_programming_error(case):
    with pytest.raises(ValueError, match="unknown"):
        send("hapus", case.reference, phone(7001))
