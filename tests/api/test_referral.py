"""Referral guards: who may hand a case on, and the agencies a referral may never drop."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from api import tokens
from cases.timeline import details
from core.db import db
from models import CaseEvent, Role
from tests.api.conftest import AGENCY_A, SIDERA, T0, file_as, make_account

POLICE = "POLRES-SIGI-PPA"  # supporting on sexual violence in Sigi, primary on emergencies
DINSOS = "DINSOS-72"  # supporting on child abuse in Sigi
TARGET = "UPTD-PPA-72"


@pytest.fixture
def more_staff(world) -> dict[str, str]:
    """Tokens of a police officer and a social-services officer."""
    found = {}
    for n, code in ((11, POLICE), (12, DINSOS)):
        account = make_account(Role.STAFF, n, agency_id=world.agencies[code].id)
        found[code] = tokens.issue(db.session, account, T0)[1]
    db.session.commit()
    return found


def new_case(world, uuid_tail: str, **overrides: Any):
    case = file_as(
        world.accounts["facilitator"],
        SIDERA,
        f"00000000-0000-4000-8000-0000000001{uuid_tail}",
        **overrides,
    )
    db.session.commit()
    return case


def agencies_on(call, case) -> dict[str, tuple[str, bool]]:
    body = call("coordinator", "get", f"/api/v1/cases/{case.reference}").json
    return {a["code"]: (a["role"], a["is_active"]) for a in body["agencies"]}


def events(case) -> int:
    return db.session.scalar(select(func.count()).where(CaseEvent.case_id == case.id))


def refer_as(client, token: str, case, agency: str) -> Any:
    return client.post(
        f"/api/v1/cases/{case.reference}/refer",
        json={"agency": agency, "reason": "uji"},
        headers={"Authorization": f"Bearer {token}"},
    )


@pytest.mark.parametrize(
    ("category", "supporting"), [("kekerasan_seksual", POLICE), ("kekerasan_anak", DINSOS)]
)
def test_a_supporting_agency_cannot_hand_off_the_primary_role(
    client, call, world, more_staff, category, supporting
):
    case = new_case(world, "01", category=category)
    before, count = agencies_on(call, case), events(case)
    assert before[AGENCY_A] == ("primary", True)
    assert before[supporting] == ("supporting", True)
    response = refer_as(client, more_staff[supporting], case, TARGET)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "not_primary_agency"
    db.session.expire_all()
    assert agencies_on(call, case) == before
    assert events(case) == count + 1  # the coordinator's read above, nothing else
    assert case.status.value == "baru"


def test_the_primary_hands_off_sexual_violence_and_the_police_stay(call, world):
    case = new_case(world, "02", category="kekerasan_seksual")
    response = call(
        "staff_a", "post", f"/api/v1/cases/{case.reference}/refer", json={"agency": TARGET}
    )
    assert response.status_code == 200, response.json
    got = agencies_on(call, case)
    assert got[AGENCY_A] == ("primary", False)
    assert got[TARGET] == ("primary", True)
    assert got[POLICE] == ("supporting", True)


def test_an_emergency_handed_off_keeps_the_police_on_the_case(call, world):
    case = new_case(world, "03", priority="darurat")
    before = agencies_on(call, case)
    assert before[POLICE] == ("primary", True)
    assert before[AGENCY_A] == ("primary", True)
    response = call(
        "coordinator", "post", f"/api/v1/cases/{case.reference}/refer", json={"agency": TARGET}
    )
    assert response.status_code == 200, response.json
    got = agencies_on(call, case)
    assert got[TARGET] == ("primary", True)
    assert got[AGENCY_A] == ("primary", False)
    # Not silently: the police stay, supporting now, and the timeline says so.
    assert got[POLICE] == ("supporting", True)
    db.session.expire_all()
    referred = [e for e in case.events if e.kind == "referred"][-1]
    assert details(referred)["kept"] == [POLICE]


def test_referring_to_the_agency_that_has_the_case_is_409(call, world):
    case = world.cases["a"]
    before, count = agencies_on(call, case), events(case)
    response = call(
        "staff_a", "post", f"/api/v1/cases/{case.reference}/refer", json={"agency": AGENCY_A}
    )
    assert response.status_code == 409
    assert response.json["error"]["code"] == "already_primary"
    db.session.expire_all()
    assert agencies_on(call, case) == before
    assert events(case) == count + 1  # the coordinator's read
