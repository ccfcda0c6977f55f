"""The API's scope matrix, run over the console's pages and forms.

Out of scope answers exactly as a case that does not exist; a page view is a read in the
timeline, as in the API; nobody signed in is sent to sign in.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from cases import change_status
from core import clock
from core.db import db
from models import CaseEvent
from tests.console.conftest import post

ROLES = ("staff_a", "staff_b", "coordinator", "admin", "none")
OWN = {"staff_a": "a", "staff_b": "b", "coordinator": "a", "admin": "a", "none": "a"}
OTHER = {"staff_a": "b", "staff_b": "a", "coordinator": "b", "admin": "b", "none": "b"}
WRITES: dict[str, dict[str, Any]] = {
    "acknowledge": {},
    "status": {"status": "ditolak", "reason": "bukan kasus"},
    "note": {"text": "sudah dihubungi"},
    "refer": {"agency": "DINSOS-72", "reason": "butuh rumah aman"},
    "close": {"closure_reason": "bukan_kasus", "reason": "uji"},
    "simfoni": {"victim_age_group": "25-44"},
    "police-report": {},
}
#: As in the API: staff on the case do everything; deployment-wide roles all but acknowledge.
ALLOWED = {
    "staff_a": set(WRITES),
    "staff_b": set(WRITES),
    "coordinator": set(WRITES) - {"acknowledge"},
    "admin": set(WRITES) - {"acknowledge"},
    "none": set(),
}


def _events(case_id: int) -> int:
    return db.session.scalar(select(func.count()).where(CaseEvent.case_id == case_id))


def _visible(role: str, which: str) -> bool:
    return role in ("coordinator", "admin") or (role != "none" and OWN[role] == which)


@pytest.mark.parametrize("role", ROLES)
def test_the_queue_shows_exactly_the_cases_in_scope(as_role, people, role):
    response = as_role(role).get("/console/")
    if role == "none":
        assert response.headers["Location"].startswith("/console/login")
        return
    page = response.get_data(as_text=True)
    for which in "ab":
        assert (people.cases[which].reference in page) == _visible(role, which)


@pytest.mark.parametrize("which", ["own", "other"])
@pytest.mark.parametrize("role", ROLES)
def test_read_a_case_page(as_role, people, role, which):
    key = (OWN if which == "own" else OTHER)[role]
    case = people.cases[key]
    client = as_role(role)
    before = _events(case.id)
    response = client.get(f"/console/cases/{case.reference}")
    if role == "none":
        assert response.status_code == 302
    elif _visible(role, key):
        assert response.status_code == 200
        last = db.session.scalar(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id.desc())
        )
        assert last.kind == "read"
        assert last.actor_account_id == people.accounts[role].id
        assert _events(case.id) == before + 1
        return
    else:
        nonexistent = client.get("/console/cases/ZZZZZZ")
        assert response.status_code == nonexistent.status_code == 404
        assert response.get_data() == nonexistent.get_data()
    assert _events(case.id) == before


@pytest.mark.parametrize("action", list(WRITES))
@pytest.mark.parametrize("which", ["own", "other"])
@pytest.mark.parametrize("role", ROLES)
def test_work_on_a_case(as_role, people, role, which, action):
    key = (OWN if which == "own" else OTHER)[role]
    case = people.cases[key]
    client = as_role(role)
    if action == "close":  # only an acknowledged case closes
        change_status(db.session, case, "diterima", clock.now())
        db.session.commit()
    db.session.expire_all()
    before, status = _events(case.id), case.status
    response = post(
        client, f"/console/cases/{case.reference}/{action}", WRITES[action], page="/console/login"
    )
    db.session.expire_all()
    if _visible(role, key) and action in ALLOWED[role]:
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        assert _events(case.id) > before
        return
    if role == "none":
        assert response.headers["Location"].startswith("/console/login")
    elif _visible(role, key):
        assert response.status_code == 403
    else:
        nonexistent = post(
            client, f"/console/cases/ZZZZZZ/{action}", WRITES[action], page="/console/login"
        )
        assert response.status_code == nonexistent.status_code == 404
        assert response.get_data() == nonexistent.get_data()
    assert (_events(case.id), case.status) == (before, status)


COORDINATION = (
    "/console/dashboard",
    "/console/routing",
    "/console/rosters",
    "/console/rosters/DP3A-7210",
    "/console/accounts",
)


@pytest.mark.parametrize("path", COORDINATION)
@pytest.mark.parametrize("role", ROLES)
def test_coordinators_pages(as_role, people, role, path):
    response = as_role(role).get(path)
    expected = {"none": 302, "staff_a": 403, "staff_b": 403}.get(role, 200)
    assert response.status_code == expected


@pytest.mark.parametrize("role", ["staff_a", "staff_b"])
def test_staff_cannot_change_the_routing_table_or_accounts(as_role, people, role):
    client = as_role(role)
    target = people.accounts["staff_a" if role == "staff_b" else "staff_b"]
    assert post(client, "/console/routing", {"rules": "category"}).status_code == 403
    assert post(client, f"/console/accounts/{target.id}/active", {"active": "0"}).status_code == 403
    db.session.expire_all()
    assert target.is_active
