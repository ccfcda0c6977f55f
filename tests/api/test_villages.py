"""The villages of a facilitator's area, for the app's picker when there is no signal."""

from __future__ import annotations

from api import tokens
from core.db import db
from models import Role
from tests.api.conftest import T0, make_account


def test_a_facilitator_gets_the_villages_of_their_district_with_its_name(call, world):
    response = call("facilitator", "get", "/api/v1/sync/villages")
    assert response.status_code == 200
    body = response.json
    assert body["region"] == {"code": "72.10.01", "name": body["region"]["name"]}
    codes = [v["code"] for v in body["villages"]]
    assert "72.10.01.2007" in codes
    assert all(code.startswith("72.10.01.") for code in codes)
    sidera = next(v for v in body["villages"] if v["code"] == "72.10.01.2007")
    assert sidera["name"] == "Sidera"
    assert sidera["district"] == body["region"]["name"]
    names = [v["name"] for v in body["villages"]]
    assert names == sorted(names)


def test_a_regency_gives_the_villages_of_all_its_districts(client, world):
    account = make_account(Role.FACILITATOR, 41, region_code="72.10")
    token = tokens.issue(db.session, account, T0)[1]
    db.session.commit()
    response = client.get("/api/v1/sync/villages", headers={"Authorization": f"Bearer {token}"})
    districts = {v["code"].rsplit(".", 1)[0] for v in response.json["villages"]}
    assert len(districts) > 1
    assert all(d.startswith("72.10.") for d in districts)


def test_an_account_without_an_area_gets_none(client, world):
    account = make_account(Role.FACILITATOR, 42)
    token = tokens.issue(db.session, account, T0)[1]
    db.session.commit()
    response = client.get("/api/v1/sync/villages", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json == {"region": None, "villages": []}


def test_only_facilitators_and_only_with_a_token(call):
    assert call("staff_a", "get", "/api/v1/sync/villages").status_code == 403
    assert call("none", "get", "/api/v1/sync/villages").status_code == 401
