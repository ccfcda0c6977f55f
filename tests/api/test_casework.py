"""Case work through the API: service referrals, closing with a reason, the police report."""

from __future__ import annotations

from cases import Deployment, ReportIn, file_report
from core import clock
from core.db import db
from tests.api.conftest import AGENCY_B, SIDERA


def _kinds(call, role, ref):
    return [e["kind"] for e in call(role, "get", f"/api/v1/cases/{ref}").get_json()["timeline"]]


def test_a_referral_asked_accepted_and_completed_then_one_declined(call, world):
    ref = world.cases["a"].reference
    assert call("staff_b", "get", f"/api/v1/cases/{ref}").status_code == 404
    asked = call(
        "staff_a",
        "post",
        f"/api/v1/cases/{ref}/referrals",
        json={"agency": AGENCY_B, "service": "rumah_aman", "note": "butuh tempat aman"},
    )
    assert asked.status_code == 201, asked.get_json()
    referral = asked.get_json()
    assert referral["status"] == "diminta"
    # The asked agency may now read the case, texts too, while the referral is open.
    seen = call("staff_b", "get", f"/api/v1/cases/{ref}")
    assert seen.status_code == 200
    assert seen.get_json()["reports"][0]["text"] is not None
    base = f"/api/v1/cases/{ref}/referrals/{referral['id']}"
    assert call("staff_a", "post", f"{base}/accept", json={}).status_code == 403
    assert call("staff_b", "post", f"{base}/outcome", json={"outcome": "x"}).status_code == 409
    accepted = call("staff_b", "post", f"{base}/accept", json={})
    assert accepted.get_json()["status"] == "diterima"
    done = call("staff_b", "post", f"{base}/outcome", json={"outcome": "korban di rumah aman"})
    assert done.get_json()["status"] == "selesai"
    assert done.get_json()["outcome"] == "korban di rumah aman"
    # The referring agency keeps the case; the asked one's reading ends with the referral.
    assert call("staff_a", "get", f"/api/v1/cases/{ref}").status_code == 200
    assert call("staff_b", "get", f"/api/v1/cases/{ref}").status_code == 404

    second = call(
        "staff_a",
        "post",
        f"/api/v1/cases/{ref}/referrals",
        json={"agency": AGENCY_B, "service": "kesehatan"},
    ).get_json()
    base = f"/api/v1/cases/{ref}/referrals/{second['id']}"
    no_reason = call("staff_b", "post", f"{base}/decline", json={})
    assert no_reason.status_code == 422
    assert "reason" in no_reason.get_json()["error"]["fields"]
    declined = call("staff_b", "post", f"{base}/decline", json={"reason": "tidak ada dokter"})
    assert declined.get_json()["status"] == "ditolak"
    assert call("staff_b", "post", f"{base}/accept", json={}).status_code == 404  # no access now

    kinds = _kinds(call, "staff_a", ref)
    assert kinds.count("referral_requested") == 2
    assert kinds.count("referral_accepted") == 1
    assert kinds.count("referral_outcome") == 1
    assert kinds.count("referral_declined") == 1
    listed = call("staff_a", "get", f"/api/v1/cases/{ref}/referrals").get_json()["items"]
    assert [r["status"] for r in listed] == ["selesai", "ditolak"]
    # The primary stays where it was: a service referral is no hand-off.
    case = call("staff_a", "get", f"/api/v1/cases/{ref}").get_json()
    assert case["status"] == "baru"
    assert AGENCY_B not in {a["code"] for a in case["agencies"]}


def test_a_referral_to_an_unknown_agency_or_service_is_refused(call, world):
    ref = world.cases["a"].reference
    bad = call(
        "staff_a",
        "post",
        f"/api/v1/cases/{ref}/referrals",
        json={"agency": "NOPE-1", "service": "kesehatan"},
    )
    assert bad.status_code == 422
    wrong = call(
        "staff_a",
        "post",
        f"/api/v1/cases/{ref}/referrals",
        json={"agency": AGENCY_B, "service": "pijat"},
    )
    assert wrong.status_code == 422
    assert "service" in wrong.get_json()["error"]["fields"]


def test_closing_needs_a_closure_reason_and_records_services(call, world):
    ref = world.cases["a"].reference
    assert call("staff_a", "post", f"/api/v1/cases/{ref}/acknowledge").status_code == 200
    bare = call("staff_a", "post", f"/api/v1/cases/{ref}/status", json={"status": "selesai"})
    assert bare.status_code == 422
    assert "closure_reason" in bare.get_json()["error"]["fields"]
    wrong = call(
        "staff_a",
        "post",
        f"/api/v1/cases/{ref}/status",
        json={"status": "selesai", "closure_reason": "bosan"},
    )
    assert wrong.status_code == 422
    closed = call(
        "staff_a",
        "post",
        f"/api/v1/cases/{ref}/status",
        json={
            "status": "selesai",
            "closure_reason": "layanan_selesai",
            "services_given": ["kesehatan", "bantuan_hukum"],
        },
    )
    assert closed.status_code == 200, closed.get_json()
    body = closed.get_json()
    assert body["status"] == "selesai"
    assert body["closure_reason"] == "layanan_selesai"
    assert body["services_given"] == ["kesehatan", "bantuan_hukum"]
    assert "closure" in _kinds(call, "staff_a", ref)


def test_the_police_deadline_is_shown_and_the_report_recorded(call, world):
    case = file_report(
        db.session,
        ReportIn(
            source="app",
            text="anak dilecehkan",
            category="kekerasan_seksual",
            victim="anak",
            priority="tinggi",
            region_code=SIDERA,
            facilitator_id=world.accounts["facilitator"].id,
        ),
        clock.now(),
        Deployment(),
    ).case
    db.session.commit()
    shown = call("coordinator", "get", f"/api/v1/cases/{case.reference}").get_json()
    assert shown["police_report_due_at"].startswith("2026-03-13T01:00")
    assert shown["police_reported_at"] is None
    assert call("staff_b", "post", f"/api/v1/cases/{case.reference}/police-report").status_code in (
        403,
        404,
    )
    done = call("coordinator", "post", f"/api/v1/cases/{case.reference}/police-report")
    assert done.status_code == 200
    assert done.get_json()["police_reported_at"] is not None
    assert (
        call("staff_a", "get", f"/api/v1/cases/{world.cases['a'].reference}").get_json()[
            "police_report_due_at"
        ]
        is None
    )


def test_erasing_a_case_blanks_its_referral_notes_and_task_titles(call, world):
    from security.erasure import erase_case

    ref = world.cases["a"].reference
    call(
        "staff_a",
        "post",
        f"/api/v1/cases/{ref}/referrals",
        json={"agency": AGENCY_B, "service": "rumah_aman", "note": "ibu Wati butuh tempat"},
    )
    call(
        "staff_a",
        "post",
        f"/api/v1/cases/{ref}/tasks",
        json={"title": "kunjungi ibu Wati", "due_at": "2026-03-12T09:00:00+08:00"},
    )
    erase_case(db.session, world.cases["a"], world.accounts["admin"], "permintaan", clock.now())
    db.session.commit()
    referrals = call("coordinator", "get", f"/api/v1/cases/{ref}/referrals").get_json()["items"]
    tasks = call("coordinator", "get", f"/api/v1/cases/{ref}/tasks").get_json()["items"]
    assert "Wati" not in referrals[0]["note"]
    assert "Wati" not in tasks[0]["title"]
