"""Staff case work through the API: list and filter, read with timeline, act on a case."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import clock
from core.db import db
from models import CaseStatus
from tests.api.conftest import FIXTURE_UUIDS, SIDERA, file_as


def test_detail_shows_reports_and_timeline_and_records_the_read(call, world):
    case = world.cases["a"]
    body = call("staff_a", "get", f"/api/v1/cases/{case.reference}").json
    assert body["region_name"] == "Sidera"
    assert [a["code"] for a in body["agencies"]] == ["DP3A-7210"]
    assert body["reports"][0]["text"] == "tetangga dipukuli suaminya"
    kinds = [e["kind"] for e in body["timeline"]]
    assert kinds[:2] == ["opened", "routed"]
    assert kinds[-1] == "read"
    assert kinds.count("read") == 1
    again = call("staff_a", "get", f"/api/v1/cases/{case.reference}").json
    assert [e["kind"] for e in again["timeline"]][-2:] == ["read", "read"]


@pytest.mark.parametrize(
    ("role", "reads_text"),
    [("staff_a", True), ("coordinator", True), ("admin", False), ("facilitator", False)],
)
def test_only_staff_on_the_case_and_coordinators_read_what_people_wrote(
    call, world, role, reads_text
):
    case = world.cases["a"]
    call("staff_a", "post", f"/api/v1/cases/{case.reference}/notes", json={"text": "rahasia"})
    body = call(role, "get", f"/api/v1/cases/{case.reference}").json
    texts = [r["text"] for r in body["reports"]]
    notes = [e["detail"] for e in body["timeline"] if e["kind"] == "note"]
    if reads_text:
        assert texts == ["tetangga dipukuli suaminya"]
        assert notes == [{"text": "rahasia"}]
    else:
        assert texts == [None]
        assert notes == [None]


def test_a_facilitator_sees_only_their_own_reports_of_a_case(call, world):
    case = world.cases["a"]
    file_as(world.accounts["other_facilitator"], SIDERA, "00000000-0000-4000-8000-0000000000c1")
    db.session.commit()
    assert len(case.reports) == 2  # the second report joined the same incident
    body = call("facilitator", "get", f"/api/v1/cases/{case.reference}").json
    assert len(body["reports"]) == 1


def _refs(call, query: str) -> set[str]:
    response = call("coordinator", "get", f"/api/v1/cases{query}")
    assert response.status_code == 200, response.json
    return {c["reference"] for c in response.json["items"]}


def test_filters(call, world):
    a, b = world.cases["a"].reference, world.cases["b"].reference
    assert _refs(call, "?region=72.10") == {a}
    assert _refs(call, "?region=72.71.01") == {b}
    assert _refs(call, "?region=72") == {a, b}
    assert _refs(call, "?region=72.10.01.2003") == set()
    assert _refs(call, "?status=baru&category=kdrt&priority=tinggi") == {a, b}
    assert _refs(call, "?status=selesai") == set()
    # T0 is 09:00 WITA on 10 March: the local day, not the UTC one, decides.
    assert _refs(call, "?opened_from=2026-03-10&opened_to=2026-03-10") == {a, b}
    assert _refs(call, "?opened_to=2026-03-09") == set()
    assert _refs(call, "?opened_from=2026-03-11") == set()


def test_pagination_is_newest_first_and_says_what_comes_next(call, world):
    for n in range(5):
        clock.advance(timedelta(days=1))
        file_as(world.accounts["facilitator"], SIDERA, f"00000000-0000-4000-8000-00000000010{n}")
    db.session.commit()
    first = call("coordinator", "get", "/api/v1/cases?per_page=3").json
    assert (first["total"], first["page"], first["next_page"]) == (7, 1, 2)
    second = call("coordinator", "get", "/api/v1/cases?per_page=3&page=2").json
    last = call("coordinator", "get", "/api/v1/cases?per_page=3&page=3").json
    assert last["next_page"] is None
    items = first["items"] + second["items"] + last["items"]
    assert len({c["reference"] for c in items}) == 7
    opened = [c["opened_at"] for c in items]
    assert opened == sorted(opened, reverse=True)


def test_acknowledge_then_again_is_harmless(call, world):
    case = world.cases["a"]
    first = call("staff_a", "post", f"/api/v1/cases/{case.reference}/acknowledge")
    assert first.json["status"] == "diterima"
    assert first.json["acknowledged_at"]
    again = call("staff_a", "post", f"/api/v1/cases/{case.reference}/acknowledge")
    assert again.status_code == 200
    assert again.json["status"] == "diterima"


def test_status_changes_follow_the_workflow(call, world):
    ref = world.cases["a"].reference
    path = f"/api/v1/cases/{ref}/status"
    refused = call("staff_a", "post", path, json={"status": "ditangani"})
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "transition_not_allowed"
    no_reason = call("staff_a", "post", path, json={"status": "ditolak"})
    assert no_reason.status_code == 422
    assert "reason" in no_reason.json["error"]["fields"]
    referral = call("staff_a", "post", path, json={"status": "dirujuk"})
    assert referral.status_code == 422
    assert "status" in referral.json["error"]["fields"]
    done = call("staff_a", "post", path, json={"status": "diterima"})
    assert done.status_code == 200
    assert done.json["status"] == "diterima"
    assert world.cases["a"].status == CaseStatus.DITERIMA


def test_refer_moves_the_case_to_another_agency(call, world):
    ref = world.cases["a"].reference
    response = call(
        "staff_a", "post", f"/api/v1/cases/{ref}/refer", json={"agency": "dinsos-72", "reason": "x"}
    )
    assert response.status_code == 200
    active = {a["code"] for a in response.json["agencies"] if a["is_active"]}
    assert active == {"DINSOS-72"}
    assert response.json["status"] == "dirujuk"
    # Agency A stepped back: the case has left its staff's scope.
    assert call("staff_a", "get", f"/api/v1/cases/{ref}").status_code == 404


def test_refer_to_an_unknown_agency_is_422(call, world):
    ref = world.cases["a"].reference
    response = call("staff_a", "post", f"/api/v1/cases/{ref}/refer", json={"agency": "NOPE-1"})
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"agency": ["No active agency with this code."]}


def test_responses_never_carry_phone_numbers_or_tokens(call, world):
    ref = world.cases["a"].reference
    text = call("coordinator", "get", f"/api/v1/cases/{ref}").get_data(as_text=True)
    assert "+62808" not in text
    assert world.tokens["coordinator"] not in text
    assert FIXTURE_UUIDS[0] not in text  # the phone's ids go back only to the phone


@pytest.mark.parametrize(
    ("role", "sees_media"),
    [("staff_a", True), ("coordinator", True), ("admin", False), ("facilitator", False)],
)
def test_media_on_a_case_are_listed_for_who_may_read_it(call, world, role, sees_media):
    from models import MediaFile, MediaStatus

    case = world.cases["a"]
    db.session.add(
        MediaFile(
            case_id=case.id,
            provider="whatsapp_cloud",
            url="https://graph.facebook.com/v21.0/1000000000000101",
            content_type="image/jpeg",
            status=MediaStatus.STORED,
            size=1234,
            created_at=clock.now(),
        )
    )
    db.session.commit()
    body = call(role, "get", f"/api/v1/cases/{case.reference}").json
    listed = [(m["content_type"], m["status"], m["size"]) for m in body["media"]]
    assert listed == ([("image/jpeg", "stored", 1234)] if sees_media else [])
