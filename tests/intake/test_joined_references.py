"""A report that joins another person's case gets its own reference: nobody learns another's."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from cases import find_case, references
from core.db import db
from core.demo import demo_phone, seed_demo
from models import Case, CaseStatus, Report
from tests.signing import Phone

REF = re.compile(rf"\b[{references.ALPHABET}]{{{references.LENGTH}}}\b")
#: Someone in danger now: the case opens at once, with no question asked.
FIRST = "Tolong!! ibu di sebelah rumah sy di desa Kotarindau sedang dipukuli suaminya pakai kayu"
SECOND = "tolong tetangga sy di desa Kotarindau sedang dipukuli suaminya sekarang"


@pytest.fixture
def phones(app, poster):
    from cases.routing import seed_default_rules

    seed_demo(db.session)
    seed_default_rules(db.session)
    db.session.commit()
    return Phone(poster, "+6280800000211"), Phone(poster, "+6280800000212")


def _ref(reply: str) -> str:
    (found,) = REF.findall(reply)
    return found


def _file_both(phones) -> tuple[Case, str, str]:
    first, second = phones
    first_ref = _ref(first.say(FIRST))
    second_ref = _ref(second.say(SECOND))
    (case,) = db.session.scalars(select(Case)).all()
    assert len(case.reports) == 2  # the same incident: one case
    return case, first_ref, second_ref


def test_the_second_reporter_gets_a_reference_of_their_own(phones):
    case, first_ref, second_ref = _file_both(phones)
    assert first_ref == case.reference
    assert second_ref != case.reference
    assert db.session.scalar(select(Report.reference).where(Report.reference == second_ref))


def test_status_answers_each_reporter_for_their_own_reference_only(phones):
    first, second = phones
    case, first_ref, second_ref = _file_both(phones)
    own = second.say(f"STATUS {second_ref}")
    assert second_ref in own
    assert "BARU" in own
    assert case.reference not in own
    unknown = second.say("STATUS XXXXXX")
    assert second.say(f"STATUS {case.reference}") == unknown
    assert first.say(f"STATUS {second_ref}") == first.say("STATUS XXXXXX")
    assert "BARU" in first.say(f"STATUS {first_ref}")


def test_writing_again_gives_the_same_reporter_the_same_reference(phones):
    _, second = phones
    case, _, second_ref = _file_both(phones)
    again = _ref(second.say("tolong ibu itu masih dipukuli suaminya di desa Kotarindau sekarang"))
    assert again == second_ref
    assert len(db.session.get(Case, case.id).reports) == 3


def test_staff_reach_the_shared_case_by_the_joined_reference(phones, poster):
    case, _, second_ref = _file_both(phones)
    assert find_case(db.session, second_ref.lower()) == case
    officers = [link.agency_id for link in case.agencies if link.is_active]
    from models import Account

    officer = db.session.scalar(select(Account).where(Account.agency_id.in_(officers)))
    number = next(demo_phone(i) for i in range(100, 200) if _is(officer, demo_phone(i)))
    reply = Phone(poster, number).say(f"OK {second_ref}")
    assert case.reference in reply  # staff are told the case's own reference
    db.session.expire_all()
    assert db.session.get(Case, case.id).status == CaseStatus.DITERIMA


def _is(account, number: str) -> bool:
    from core.crypto import lookup_hash

    return account.phone_hash == lookup_hash(number)


def test_a_drawn_reference_already_taken_is_drawn_again(phones, poster, monkeypatch):
    case, first_ref, second_ref = _file_both(phones)
    draws = iter([second_ref, first_ref, "K7M4CH"])
    monkeypatch.setattr(references, "new_reference", lambda: next(draws))
    third = _ref(Phone(poster, "+6280800000213").say(SECOND))
    assert third == "K7M4CH"
    db.session.expire_all()
    assert len(db.session.get(Case, case.id).reports) == 3
    assert find_case(db.session, second_ref) == find_case(db.session, third) == case
