"""Facilitator sync: each report stored once however batches arrive, and what changed since."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta, timezone
from typing import Any

from sqlalchemy import func, select

from api.services import sync as syncing
from cases import acknowledge, add_note, record_read
from core import clock
from core.db import db
from models import Report
from tests.api.conftest import FIXTURE_UUIDS, T0

SIGI_VILLAGES = ("72.10.01.2007", "72.10.01.2003", "72.10.01.2001", "72.10.01.2002")
WITA = timezone(timedelta(hours=8))


def item(n: int = 1, **overrides: Any) -> dict[str, Any]:
    """A structured report as the app sends it."""
    values: dict[str, Any] = {
        "client_uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"sigap-test/{n}")),
        "captured_at": (T0 - timedelta(hours=2)).astimezone(WITA).isoformat(),
        "category": "kdrt",
        "victim": "perempuan",
        "priority": "tinggi",
        "region_code": "72.10.01.2007",
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def sync(call: Any, items: list[Any], role: str = "facilitator") -> list[dict[str, Any]]:
    response = call(role, "post", "/api/v1/sync/reports", json={"items": items})
    assert response.status_code == 200, response.json
    return response.json["results"]


def stored() -> int:
    """Count the reports synced by the test, not the fixture's two."""
    query = select(func.count()).where(Report.client_uuid.not_in(FIXTURE_UUIDS))
    return db.session.scalar(query)


def test_structured_report_opens_a_case_and_keeps_both_times(call, world):
    [result] = sync(call, [item(1)])
    assert result["outcome"] == "created"
    assert result["status"] == "baru"
    report = db.session.scalar(select(Report).where(Report.client_uuid == result["client_uuid"]))
    assert report.case.reference == result["reference"]
    assert report.captured_at == T0 - timedelta(hours=2)
    assert report.received_at == T0
    assert report.facilitator_id == world.accounts["facilitator"].id


def test_free_text_is_triaged(call, world):
    text = "tolong anak tetangga di desa Sidera dipukuli ayahnya sekarang"
    [result] = sync(call, [item(1, category=None, victim=None, priority=None, text=text)])
    assert result["outcome"] == "created", result
    report = db.session.scalar(select(Report).where(Report.client_uuid == result["client_uuid"]))
    assert report.category == "kekerasan_anak"
    assert report.victim == "anak"
    assert report.text == text


def test_structured_fields_win_over_triage(call, world):
    text = "anak dipukuli ayahnya"
    [result] = sync(call, [item(1, category="lainnya", victim=None, priority=None, text=text)])
    report = db.session.scalar(select(Report).where(Report.client_uuid == result["client_uuid"]))
    assert report.category == "lainnya"
    assert report.victim == "anak"


def test_a_bad_item_is_rejected_alone_with_reasons(call, world):
    items = [
        item(1),
        item(2, captured_at="2026-03-10T08:30:00"),  # no offset
        item(3, category=None, victim=None),  # neither fields nor text
        item(4, region_code="72.99.99.9999"),
        item(5, colour="red"),
        "not an object",
        item(6),
    ]
    results = sync(call, items)
    assert [r["outcome"] for r in results] == ["created", *["rejected"] * 5, "created"]
    assert "captured_at" in results[1]["errors"]
    assert "_schema" in results[2]["errors"]
    assert results[3]["errors"] == {"region_code": ["Not a place in the gazetteer."]}
    assert results[4]["errors"] == {"colour": ["Unknown field."]}
    assert results[5]["client_uuid"] is None
    assert results[5]["errors"]
    assert stored() == 2


def test_a_resent_report_is_answered_as_the_first_time(call, world):
    first = sync(call, [item(1)])[0]
    again = sync(call, [item(1, text="edited later on the phone")])[0]
    assert again["outcome"] == "already_received"
    assert (again["reference"], again["status"]) == (first["reference"], first["status"])
    assert stored() == 1


def test_the_same_uuid_in_another_case_or_letter_case_is_the_same_report(call, world):
    first = sync(call, [item(1)])[0]
    upper = item(1)
    upper["client_uuid"] = upper["client_uuid"].upper()
    assert sync(call, [upper])[0]["reference"] == first["reference"]
    assert stored() == 1


def test_another_facilitators_uuid_is_refused_without_telling_its_case(call, world):
    used = FIXTURE_UUIDS[1]  # the Palu facilitator's report
    [result] = sync(call, [item(1, client_uuid=used)])
    assert result == {
        "index": 0,
        "client_uuid": used,
        "outcome": "rejected",
        "reference": None,
        "status": None,
        "errors": {"client_uuid": ["Already used."]},
        "retry_after": None,
    }


def test_a_uuid_twice_in_one_batch_is_stored_once(call, world):
    results = sync(call, [item(1), item(1)])
    assert [r["outcome"] for r in results] == ["created", "already_received"]
    assert stored() == 1


def _batches(items: list[dict[str, Any]], rng: random.Random) -> list[list[dict[str, Any]]]:
    """Shuffle, then cut into overlapping batches of at most 100, as a flaky network would."""
    order = items[:]
    rng.shuffle(order)
    batches, start = [], 0
    while start < len(order):
        size = rng.randint(20, 100)
        batches.append(order[start : start + size])
        start += max(1, size - rng.randint(0, size // 2))  # the tail goes again next time
    rng.shuffle(batches)
    return batches


def test_replay_500_reports_three_times(app, call, world):
    # A busy district's backlog, past one facilitator's daily limits (tests/api/test_limits.py).
    app.config.update(SIGAP_API_REPORTS_PER_DAY="1000", SIGAP_API_JOINS_PER_CASE_PER_DAY="1000")
    rng = random.Random(72)
    items = []
    for n in range(500):
        skew = timedelta(minutes=rng.randint(-24 * 60, 24 * 60))  # the phone's clock is off
        offset = timezone(timedelta(hours=rng.choice((7, 8, 9))))
        items.append(
            item(
                n + 1000,
                captured_at=(T0 - timedelta(minutes=n) + skew).astimezone(offset).isoformat(),
                category=rng.choice(("kdrt", "kekerasan_anak", "tppo", "lainnya")),
                victim=rng.choice(("perempuan", "anak")),
                priority=rng.choice(("tinggi", "biasa")),
                region_code=rng.choice(SIGI_VILLAGES),
            )
        )
    answers: dict[str, list[tuple[str, str, str]]] = {}
    for _round in range(3):
        for batch in _batches(items, rng):
            for result in sync(call, batch):
                key = result["client_uuid"]
                answers.setdefault(key, []).append(
                    (result["outcome"], result["reference"], result["status"])
                )
        clock.advance(timedelta(minutes=17))
    assert stored() == 500
    assert len(answers) == 500
    for key, seen in answers.items():
        assert len(seen) >= 3, key
        assert [o for o, _, _ in seen].count("created") == 1, key
        assert seen[0][0] == "created"
        assert len({(ref, status) for _, ref, status in seen}) == 1, key
    sent = {i["client_uuid"]: i["captured_at"] for i in items}
    for report in db.session.scalars(select(Report).where(Report.source == "app")):
        if report.client_uuid in sent:
            assert report.captured_at.isoformat() == _utc(sent[report.client_uuid])
            assert report.received_at == T0


def _utc(text: str) -> str:
    from datetime import UTC, datetime

    return datetime.fromisoformat(text).astimezone(UTC).isoformat()


# --- changes --------------------------------------------------------------------------------


def changes(call: Any, cursor: str | None = None, limit: int = 100) -> dict[str, Any]:
    query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
    response = call("facilitator", "get", f"/api/v1/sync/changes{query}")
    assert response.status_code == 200, response.json
    return response.json


def test_changes_tell_the_facilitator_what_became_of_their_reports(call, world):
    case = world.cases["a"]
    first = changes(call)
    assert [c["reference"] for c in first["changes"]] == [case.reference]
    change = first["changes"][0]
    assert change["status"] == "baru"
    assert change["agencies"] == ["DP3A Kabupaten Sigi"]
    assert change["client_uuids"] == [FIXTURE_UUIDS[0]]
    clock.advance(timedelta(minutes=5))
    acknowledge(db.session, case, world.agencies["DP3A-7210"].accounts[0], clock.now())
    db.session.commit()
    clock.advance(timedelta(minutes=5))
    later = changes(call, first["cursor"])
    assert [(c["reference"], c["status"]) for c in later["changes"]] == [
        (case.reference, "diterima")
    ]
    assert changes(call, later["cursor"])["changes"] == []


def test_reads_and_notes_are_not_changes(call, world):
    clock.advance(timedelta(minutes=5))
    cursor = changes(call)["cursor"]
    case = world.cases["a"]
    record_read(db.session, case, world.accounts["staff_a"], clock.now())
    add_note(db.session, case, "catatan internal", clock.now(), world.accounts["staff_a"])
    db.session.commit()
    assert changes(call, cursor)["changes"] == []


def test_young_changes_are_sent_again_rather_than_risk_missing_one(call, world):
    """A change younger than SETTLE may have neighbours still committing: keep the cursor."""
    first = changes(call)
    assert len(first["changes"]) == 1
    again = changes(call, first["cursor"])
    assert again["changes"] == first["changes"]  # harmless: it is the case's state
    clock.advance(syncing.SETTLE + timedelta(seconds=1))
    settled = changes(call, again["cursor"])
    assert settled["changes"] == first["changes"]
    assert changes(call, settled["cursor"])["changes"] == []


def test_changes_at_the_same_moment_are_all_paged_through(call, world):
    sync(call, [item(1, region_code="72.10.01.2001"), item(2, category="tppo")])
    clock.advance(timedelta(minutes=5))
    seen, cursor, pages = set(), None, 0
    while True:
        page = changes(call, cursor, limit=1)
        seen |= {c["reference"] for c in page["changes"]}
        cursor, pages = page["cursor"], pages + 1
        if not page["has_more"]:
            break
    assert len(seen) == 3  # the fixture's case and the two just synced, all at T0
    assert pages > 3
    assert changes(call, cursor)["changes"] == []


def test_other_facilitators_cases_are_not_in_changes(call, world):
    refs = {c["reference"] for c in changes(call)["changes"]}
    assert world.cases["b"].reference not in refs


def test_a_cursor_not_from_this_server_is_422(call, world):
    for bad in ("nonsense", "djI6MTI", "%%%"):
        response = call("facilitator", "get", f"/api/v1/sync/changes?cursor={bad}")
        assert response.status_code == 422
        assert list(response.json["error"]["fields"]) == ["cursor"]
