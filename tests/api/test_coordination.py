"""Coordinators through the API: the routing table, rosters, weekly figures."""

from __future__ import annotations

from sqlalchemy import func, select

from core.db import db
from models import RosterSlot, RoutingRule
from tests.api.conftest import AGENCY_A, AGENCY_B


def test_routing_round_trips(call, world):
    rules = call("coordinator", "get", "/api/v1/routing").json["rules"]
    count = db.session.scalar(select(func.count()).select_from(RoutingRule))
    assert len(rules) == count
    assert {"category", "victim", "priority", "region", "agency", "role"} <= set(rules[0])
    response = call("coordinator", "put", "/api/v1/routing", json={"rules": rules[1:]})
    assert response.json == {"removed": count, "added": count - 1}


def test_a_routing_table_with_errors_changes_nothing(call, world):
    before = call("coordinator", "get", "/api/v1/routing").json["rules"]
    rules = [
        {"region": "72.10", "agency": AGENCY_A, "role": "primary"},
        {"region": "72.10", "agency": "NOPE-9", "role": "primary"},
        {"region": "72.99", "agency": AGENCY_A, "role": "supporting"},
    ]
    response = call("coordinator", "put", "/api/v1/routing", json={"rules": rules})
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"rules.1", "rules.2"}
    assert call("coordinator", "get", "/api/v1/routing").json["rules"] == before


def test_roster_set_and_shown(call, world):
    staff = world.agencies[AGENCY_A].accounts[0]
    body = {"weekdays": "mon-fri", "starts": "08:00", "ends": "16:00", "account_id": staff.id}
    response = call("coordinator", "post", f"/api/v1/rosters/{AGENCY_A}", json=body)
    assert response.status_code == 200, response.json
    slots = response.json["slots"]
    assert [s["weekday"] for s in slots] == ["mon", "tue", "wed", "thu", "fri"]
    assert slots[0] == {
        "weekday": "mon",
        "starts": "08:00",
        "ends": "16:00",
        "account_id": staff.id,
        "role": "primary",
    }
    # T0 is a Tuesday, 09:00 WITA.
    assert response.json["on_call"]["primary"] == staff.id
    shown = call("admin", "get", f"/api/v1/rosters/{AGENCY_A.lower()}").json
    assert shown == response.json


def test_roster_refuses_someone_of_another_agency(call, world):
    outsider = world.agencies[AGENCY_B].accounts[0]
    before = db.session.scalar(select(func.count()).select_from(RosterSlot))
    response = call(
        "coordinator", "post", f"/api/v1/rosters/{AGENCY_A}", json={"account_id": outsider.id}
    )
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["account_id"]
    assert db.session.scalar(select(func.count()).select_from(RosterSlot)) == before


def test_roster_of_an_unknown_agency_is_404(call, world):
    assert call("coordinator", "get", "/api/v1/rosters/NOPE").status_code == 404
    assert call("coordinator", "get", "/api/v1/rosters/%00").status_code == 404


def test_figures_week_by_week(call, world):
    response = call("coordinator", "get", "/api/v1/figures?from=2026-03-02&to=2026-03-15")
    assert response.status_code == 200
    weeks = response.json["weeks"]
    assert [w["cases"] for w in weeks] == [0, 2]  # T0 is Tuesday 10 March
    assert weeks[1]["by_category"] == {"kdrt": 2}
    assert {r["code"] for r in weeks[1]["by_regency"]} == {"72.10", "72.71"}
    assert weeks[0]["start"].startswith("2026-03-02T00:00:00+08:00")
    assert weeks[1]["end"].startswith("2026-03-16T00:00:00+08:00")


def test_figures_refuse_a_backwards_or_long_range(call, world):
    for query in ("from=2026-03-10&to=2026-03-01", "from=2024-01-01&to=2026-01-01"):
        response = call("coordinator", "get", f"/api/v1/figures?{query}")
        assert response.status_code == 422
        assert list(response.json["error"]["fields"]) == ["to"]
