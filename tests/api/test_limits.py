"""One token cannot flood the service: rate limits, daily quotas, caps per batch and per case."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from core import clock
from core.db import db
from models import Outbox, Purpose, Report
from tests.api.conftest import T0
from tests.api.test_sync import FIXTURE_UUIDS, SIGI_VILLAGES, item, stored

CATEGORIES = ("kdrt", "kekerasan_anak", "tppo", "kekerasan_seksual")
#: Different incidents: no two share a village and a category, so none joins another.
PLACES = [(v, c) for v in SIGI_VILLAGES for c in CATEGORIES]


def post(call, items, role="facilitator"):
    return call(role, "post", "/api/v1/sync/reports", json={"items": items})


def emergencies(first: int, count: int) -> list[dict]:
    return [
        item(first + n, priority="darurat", region_code=PLACES[n][0], category=PLACES[n][1])
        for n in range(count)
    ]


def test_requests_past_the_minute_limit_get_429_with_retry_after(app, call, world):
    app.config["SIGAP_API_REQUESTS_PER_MINUTE"] = "3"
    clock.freeze(T0 + timedelta(seconds=15))
    for _ in range(3):
        assert call("staff_a", "get", "/api/v1/cases").status_code == 200
    refused = call("staff_a", "get", "/api/v1/cases")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "45"
    assert refused.get_json()["error"]["code"] == "rate_limited"
    # Another token has its own budget; the same one again in the next minute.
    assert call("staff_b", "get", "/api/v1/cases").status_code == 200
    clock.advance(timedelta(seconds=45))
    assert call("staff_a", "get", "/api/v1/cases").status_code == 200


def test_a_sync_refused_by_the_rate_limit_stores_nothing(app, call, world):
    app.config["SIGAP_API_REQUESTS_PER_MINUTE"] = "1"
    assert post(call, [item(1)]).status_code == 200
    refused = post(call, [item(2)])
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert stored() == 1


def test_requests_past_the_daily_quota_wait_for_the_next_day(app, call, world):
    app.config["SIGAP_API_REQUESTS_PER_DAY"] = "2"
    for minute in range(2):
        clock.freeze(T0 + timedelta(minutes=minute))
        assert call("coordinator", "get", "/api/v1/routing").status_code == 200
    clock.freeze(T0 + timedelta(minutes=5))
    refused = call("coordinator", "get", "/api/v1/routing")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) == 24 * 3600 - 3600 - 5 * 60  # T0 is 01:00 UTC


def test_reports_past_the_daily_quota_are_rate_limited_item_by_item(app, call, world):
    app.config["SIGAP_API_REPORTS_PER_DAY"] = "3"
    items = [item(n, region_code=PLACES[n][0], category=PLACES[n][1]) for n in range(4)]
    results = post(call, items).get_json()["results"]
    # The fixture's report of this facilitator today counts too.
    assert [r["outcome"] for r in results] == ["created", "created", "rate_limited", "rate_limited"]
    assert results[2]["retry_after"] > 0
    assert results[2]["reference"] is None
    assert stored() == 2
    # A report already received is answered as before, never limited.
    again = post(call, items[:1]).get_json()["results"]
    assert again[0]["outcome"] == "already_received"


def test_emergencies_in_one_batch_are_capped(app, call, world):
    app.config["SIGAP_API_EMERGENCIES_PER_BATCH"] = "3"
    results = post(call, emergencies(100, 5)).get_json()["results"]
    assert [r["outcome"] for r in results] == ["created"] * 3 + ["rate_limited"] * 2
    assert all(r["retry_after"] == 60 for r in results[3:])
    assert stored() == 3
    # The held-back ones go through with the next batch.
    later = post(call, emergencies(100, 5)[3:]).get_json()["results"]
    assert [r["outcome"] for r in later] == ["created", "created"]


def test_a_burst_of_emergencies_pages_each_officer_once(call, world):
    results = post(call, emergencies(200, 6)).get_json()["results"]
    references = {r["reference"] for r in results}
    assert len(references) == 6
    alerts = db.session.scalars(select(Outbox).where(Outbox.purpose == Purpose.ALERT)).all()
    per_officer = Counter(a.account_id for a in alerts if a.created_at >= T0)
    fixture_cases = {world.cases["a"].id, world.cases["b"].id}
    per_officer -= Counter(a.account_id for a in alerts if a.case_id in fixture_cases)
    assert per_officer
    assert max(per_officer.values()) == 1
    merged = [a for a in alerts if a.case_id is None]
    assert merged
    for alert in merged:
        assert len(alert.body) <= 160
        listed = [ref for ref in references if ref in alert.body]
        assert len(listed) >= 2


def test_one_facilitator_cannot_inflate_one_case(app, call, world):
    app.config["SIGAP_API_JOINS_PER_CASE_PER_DAY"] = "3"
    # Same village, same category, same hours: every one joins the first.
    items = [item(300 + n, region_code=SIGI_VILLAGES[1]) for n in range(5)]
    results = post(call, items).get_json()["results"]
    assert [r["outcome"] for r in results] == ["created"] * 3 + ["rate_limited"] * 2
    assert "one case" in results[3]["errors"]["_schema"][0]
    case_ids = db.session.scalars(
        select(Report.case_id).where(Report.client_uuid.not_in(FIXTURE_UUIDS))
    ).all()
    assert len(case_ids) == 3
    assert len(set(case_ids)) == 1


def test_reports_outside_the_facilitators_area_are_refused_with_a_reason(call, world):
    palu = "72.71.01.1004"
    results = post(
        call,
        [
            item(400, region_code=palu),
            item(401, region_code=None, category=None, text="ibu dipukuli suaminya di Talise"),
            item(402),
        ],
    ).get_json()["results"]
    assert [r["outcome"] for r in results] == ["rejected", "rejected", "created"]
    assert "outside your area" in results[0]["errors"]["region_code"][0].lower()
    assert "outside your area" in results[1]["errors"]["text"][0].lower()
    assert stored() == 1


def test_every_route_documents_the_429(client, world):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method != "parameters":
                assert "429" in operation["responses"], (method, path)
