"""Coordinators through the API: the routing table, rosters, weekly figures."""

from __future__ import annotations

from sqlalchemy import func, select

from core.db import db
from models import RoutingRule
from tests.api.conftest import AGENCY_A


def test_routing_round_trips(call, world):
    rules = call("coordinator", "get", "/api/v1/routing").json["rules"]
    count = db.session.scalar(select(func.count()).select_from(RoutingRule))
    assert len(rules) == count
    assert {"category", "victim", "priority", "region", "agency", "role"} <= set(rules[0])
    # The provincial DP3A's supporting line: every case still reaches an agency without it.
    kept = [r for r in rules if (r["agency"], r["region"]) != ("DP3A-72", "72")]
    assert len(kept) == count - 1
    response = call("coordinator", "put", "/api/v1/routing", json={"rules": kept})
    assert response.json == {"removed": count, "added": count - 1}


def _gaps(response) -> list[str]:
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "routing_gaps"
    return response.json["error"]["fields"]["rules"]


def test_an_empty_routing_table_is_refused_with_every_regency_it_leaves_bare(call, world):
    before = call("coordinator", "get", "/api/v1/routing").json["rules"]
    gaps = _gaps(call("coordinator", "put", "/api/v1/routing", json={"rules": []}))
    bare = [g for g in gaps if g.endswith("no agency for */*/*")]
    assert len(bare) == 1 + 13  # the province and its thirteen regencies
    assert any(g.startswith("72.10 KABUPATEN SIGI:") for g in bare)
    assert call("coordinator", "get", "/api/v1/routing").json["rules"] == before


def test_taking_the_police_off_emergencies_is_refused(call, world):
    rules = call("coordinator", "get", "/api/v1/routing").json["rules"]
    without = [
        r for r in rules if not (r["agency"] == "POLRES-SIGI-PPA" and r["priority"] == "darurat")
    ]
    gaps = _gaps(call("coordinator", "put", "/api/v1/routing", json={"rules": without}))
    [sigi] = gaps
    assert sigi.startswith("72.10 KABUPATEN SIGI: no police unit for kdrt/*/darurat, ")
    assert "kekerasan_seksual" not in sigi  # the Sigi police still support those


def test_taking_the_police_off_sexual_violence_is_refused(call, world):
    rules = call("coordinator", "get", "/api/v1/routing").json["rules"]
    without = [
        r
        for r in rules
        if not (r["agency"] == "POLDA-PPA-72" and r["category"] == "kekerasan_seksual")
    ]
    gaps = _gaps(call("coordinator", "put", "/api/v1/routing", json={"rules": without}))
    # The province and every regency without rules of its own lose the police on sexual
    # violence that is not an emergency; emergencies still reach the provincial police.
    lost = "no police unit for kekerasan_seksual/*/tinggi, kekerasan_seksual/*/biasa"
    assert "72 SULAWESI TENGAH: " + lost in gaps
    assert "72.01 KABUPATEN BANGGAI: " + lost in gaps
    assert len(gaps) == 1 + 11  # Sigi and Palu have their own police on these cases


def test_a_narrower_rule_that_drops_the_police_is_refused(call, world):
    """A district's own rule is nearer than the regency's: it must name the police too."""
    rules = call("coordinator", "get", "/api/v1/routing").json["rules"]
    extra = {"category": "kdrt", "region": "72.10.01", "agency": AGENCY_A, "role": "primary"}
    gaps = _gaps(call("coordinator", "put", "/api/v1/routing", json={"rules": [*rules, extra]}))
    assert gaps == ["72.10.01 Sigi Biromaru: no police unit for kdrt/*/darurat"]
