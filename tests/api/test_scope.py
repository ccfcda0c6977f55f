"""Every endpoint by every role, on a case of their own agency or area and on another's.

Nothing outside a caller's scope may be read or changed, and a case out of scope answers
exactly as a case that does not exist; everything inside it works.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from cases import refer
from core import clock
from core.db import db
from models import Agency, CaseEvent
from tests.api.conftest import AGENCY_A, ROLES

#: Which case is "own" for each role: its agency's, its area's, or the one it filed.
OWN = {"facilitator": "a", "staff_a": "a", "staff_b": "b", "coordinator": "a", "admin": "a"}
OTHER = {"facilitator": "b", "staff_a": "b", "staff_b": "a", "coordinator": "b", "admin": "b"}

CASE_WRITES: dict[str, tuple[str, dict[str, Any] | None]] = {
    "acknowledge": ("acknowledge", None),
    "status": ("status", {"status": "ditolak", "reason": "bukan kasus"}),
    "note": ("notes", {"text": "sudah dihubungi"}),
    "refer": ("refer", {"agency": "DINSOS-72", "reason": "butuh rumah aman"}),
}
#: What each role may do on a case it can see (anything it cannot see is 404).
ALLOWED_WRITES = {
    "facilitator": set(),
    "staff_a": set(CASE_WRITES),
    "staff_b": set(CASE_WRITES),
    "coordinator": {"status", "note", "refer"},
    "admin": {"status", "note", "refer"},
}


def _events(case_id: int) -> int:
    return db.session.scalar(select(func.count()).where(CaseEvent.case_id == case_id))


def _visible(role: str, which: str) -> bool:
    return role in ("coordinator", "admin") or OWN[role] == which


@pytest.mark.parametrize("role", ROLES)
def test_list_shows_exactly_the_cases_in_scope(call, world, role):
    response = call(role, "get", "/api/v1/cases")
    if role == "none":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    expected = {world.cases[w].reference for w in "ab" if _visible(role, w)}
    assert {c["reference"] for c in response.json["items"]} == expected
    assert response.json["total"] == len(expected)


@pytest.mark.parametrize("which", ["own", "other"])
@pytest.mark.parametrize("role", ROLES)
def test_read_a_case(call, world, role, which):
    key = (OWN if which == "own" else OTHER).get(role, "a")
    case = world.cases[key]
    before = _events(case.id)
    response = call(role, "get", f"/api/v1/cases/{case.reference}")
    if role == "none":
        assert response.status_code == 401
    elif _visible(role, key):
        assert response.status_code == 200
        assert response.json["reference"] == case.reference
        assert response.json["timeline"][-1]["kind"] == "read"
        return
    else:
        nonexistent = call(role, "get", "/api/v1/cases/ZZZZZZ")
        assert (response.status_code, response.json) == (404, nonexistent.json)
    assert _events(case.id) == before  # a refused read leaves no trace of the case


@pytest.mark.parametrize("action", list(CASE_WRITES))
@pytest.mark.parametrize("which", ["own", "other"])
@pytest.mark.parametrize("role", ROLES)
def test_write_a_case(call, world, role, which, action):
    key = (OWN if which == "own" else OTHER).get(role, "a")
    case = world.cases[key]
    path, body = CASE_WRITES[action]
    before, status = _events(case.id), case.status
    response = call(role, "post", f"/api/v1/cases/{case.reference}/{path}", json=body)
    db.session.expire_all()
    if role != "none" and _visible(role, key) and action in ALLOWED_WRITES[role]:
        assert response.status_code in (200, 201), response.json
        assert _events(case.id) > before
        return
    if role == "none":
        expected = 401
    elif _visible(role, key):
        expected = 403
    else:
        expected = 404
        nonexistent = call(role, "post", f"/api/v1/cases/ZZZZZZ/{path}", json=body)
        assert response.json == nonexistent.json
    assert response.status_code == expected, response.json
    assert (_events(case.id), case.status) == (before, status)


SYNC_ITEM = {
    "client_uuid": "5f0c3b1e-8d2a-4c1e-9a77-3e1f00000001",
    "captured_at": "2026-03-10T08:30:00+08:00",
    "category": "kdrt",
    "victim": "perempuan",
    "priority": "biasa",
    "region_code": "72.10.01.2007",
}
OTHER_ENDPOINTS: dict[str, tuple[str, str, dict[str, Any] | None, set[str]]] = {
    "sync": ("post", "/api/v1/sync/reports", {"items": [SYNC_ITEM]}, {"facilitator"}),
    "changes": ("get", "/api/v1/sync/changes", None, {"facilitator"}),
    "routing_get": ("get", "/api/v1/routing", None, {"coordinator", "admin"}),
    "rosters_get": ("get", f"/api/v1/rosters/{AGENCY_A}", None, {"coordinator", "admin"}),
    "figures": (
        "get",
        "/api/v1/figures?from=2026-03-01&to=2026-03-31",
        None,
        {"coordinator", "admin"},
    ),
}


@pytest.mark.parametrize("endpoint", list(OTHER_ENDPOINTS))
@pytest.mark.parametrize("role", ROLES)
def test_sync_and_coordination_endpoints(call, world, role, endpoint):
    method, path, body, allowed = OTHER_ENDPOINTS[endpoint]
    response = call(role, method, path, json=body) if body else call(role, method, path)
    expected = 401 if role == "none" else 200 if role in allowed else 403
    assert response.status_code == expected, response.json
    if expected != 200:
        assert set(response.json["error"]) >= {"code", "message"}


@pytest.mark.parametrize("role", ROLES)
def test_coordination_writes(call, world, role):
    rules = call("coordinator", "get", "/api/v1/routing").json["rules"]
    staff = world.agencies[AGENCY_A].accounts[0]
    writes = [
        ("put", "/api/v1/routing", {"rules": rules}),
        ("post", f"/api/v1/rosters/{AGENCY_A}", {"account_id": staff.id, "role": "primary"}),
    ]
    for method, path, body in writes:
        response = call(role, method, path, json=body)
        expected = 401 if role == "none" else 200 if role in ("coordinator", "admin") else 403
        assert response.status_code == expected, (path, response.json)


def test_staff_see_and_work_a_case_referred_to_them_from_outside_their_region(call, world):
    """A Palu case referred to agency A (Kabupaten Sigi): A's staff see it and work on it."""
    case = world.cases["b"]
    refer(db.session, case, world.agencies[AGENCY_A], clock.now(), reason="uji")
    db.session.commit()
    ref = case.reference
    assert call("staff_a", "get", f"/api/v1/cases/{ref}").status_code == 200
    listed = call("staff_a", "get", "/api/v1/cases").json["items"]
    assert ref in {c["reference"] for c in listed}
    response = call("staff_a", "post", f"/api/v1/cases/{ref}/acknowledge")
    assert response.status_code == 200, response.json
    assert response.json["status"] == "diterima"
    # Agency B handed the case over: its staff no longer see it.
    assert call("staff_b", "get", f"/api/v1/cases/{ref}").status_code == 404


def test_what_staff_may_see_is_what_their_sms_may_touch(call, world):
    """The API and SMS commands decide by the same rule: an agency active on the case."""
    from cases import is_on_case

    refer(db.session, world.cases["b"], world.agencies[AGENCY_A], clock.now(), reason="uji")
    db.session.commit()
    for role in ("staff_a", "staff_b"):
        for case in world.cases.values():
            seen = call(role, "get", f"/api/v1/cases/{case.reference}").status_code == 200
            assert seen == is_on_case(db.session, case, world.accounts[role]), (role, case)


def test_staff_stop_seeing_a_case_referred_away_from_their_agency(call, world):
    case = world.cases["a"]
    assert call("staff_a", "get", f"/api/v1/cases/{case.reference}").status_code == 200
    dinsos = db.session.scalar(select(Agency).where(Agency.code == "DINSOS-72"))
    refer(db.session, case, dinsos, clock.now(), reason="uji")
    db.session.commit()
    assert call("staff_a", "get", f"/api/v1/cases/{case.reference}").status_code == 404


def test_staff_of_an_inactive_agency_see_nothing(call, world):
    world.agencies[AGENCY_A].is_active = False
    db.session.commit()
    assert call("staff_a", "get", "/api/v1/cases").json["items"] == []
