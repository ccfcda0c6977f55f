"""Staff at work in the console: the queue, a case page, case work, cases staff file."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from alerts.rosters import seed_demo_rosters
from cases import timeline
from core import clock
from core.db import db
from models import Case, CaseEvent, Outbox, Purpose, Report
from tests.api.conftest import SIDERA
from tests.console.conftest import post

REF = re.compile(r'class="ref">([A-Z0-9]+)<')


def _queue(client, query: str = "") -> list[str]:
    return REF.findall(client.get(f"/console/{query}").get_data(as_text=True))


def _file(people, **overrides):
    from tests.api.conftest import file_as

    values = {"client_uuid": None, **overrides}
    uuid = values.pop("client_uuid") or f"00000000-0000-4000-8000-{len(people.cases):012d}"
    case = file_as(people.accounts["facilitator"], SIDERA, uuid, **values)
    people.cases[uuid] = case
    db.session.commit()
    return case


def test_queue_puts_overdue_cases_first_then_emergencies(as_role, people):
    old = people.cases["a"]  # tinggi, filed at T0
    clock.freeze(clock.now() + timedelta(hours=5, minutes=59))
    urgent = _file(people, priority="darurat", category="kekerasan_seksual")
    normal = _file(people, priority="biasa", category="kekerasan_anak")
    client = as_role("staff_a")
    assert _queue(client) == [urgent.reference, old.reference, normal.reference]
    clock.freeze(clock.now() + timedelta(minutes=2))  # the tinggi case passes its deadline
    assert _queue(client) == [old.reference, urgent.reference, normal.reference]
    page = client.get("/console/").get_data(as_text=True)
    assert "terlambat" in page
    assert "sisa" in page


def test_queue_filters(as_role, people):
    other = _file(people, priority="biasa", category="kekerasan_anak")
    client = as_role("coordinator")
    a, b = people.cases["a"].reference, people.cases["b"].reference
    assert _queue(client, "?priority=biasa") == [other.reference]
    assert _queue(client, "?category=kdrt") == [a, b]
    assert _queue(client, "?region=72.71") == [b]
    assert _queue(client, "?region=Sidera") == [a, other.reference]
    assert _queue(client, "?region=Tidakadadesa") == []
    assert set(_queue(client, "?opened_from=2026-03-10&opened_to=2026-03-10")) == {
        a,
        b,
        other.reference,
    }
    assert _queue(client, "?opened_from=2026-03-11") == []
    post(client, f"/console/cases/{b}/status", {"status": "ditolak", "reason": "uji"})
    assert b not in _queue(client)
    assert b in _queue(client, "?status=all")
    assert _queue(client, "?status=ditolak") == [b]


def test_acknowledging_from_the_queue(as_role, people):
    client = as_role("staff_a")
    case = people.cases["a"]
    response = post(
        client,
        f"/console/cases/{case.reference}/acknowledge",
        {"next": "/console/?priority=tinggi"},
    )
    assert response.headers["Location"] == "/console/?priority=tinggi"
    db.session.expire_all()
    assert case.status.value == "diterima"
    assert case.assigned_account_id == people.accounts["staff_a"].id
    assert "Kasus diterima." in client.get("/console/").get_data(as_text=True)


def test_case_page_shows_reports_to_those_allowed_and_records_who_read_it(as_role, people):
    case = people.cases["a"]
    staff = as_role("staff_a").get(f"/console/cases/{case.reference}").get_data(as_text=True)
    assert "tetangga dipukuli suaminya" in staff
    admin = as_role("admin").get(f"/console/cases/{case.reference}").get_data(as_text=True)
    assert "tetangga dipukuli suaminya" not in admin
    coordinator = as_role("coordinator").get(f"/console/cases/{case.reference}")
    readers = coordinator.get_data(as_text=True).split("Yang sudah membaca")[1]
    assert people.accounts["staff_a"].name in readers
    assert people.accounts["admin"].name in readers


def test_case_page_shows_the_uu_tpks_police_report_deadline(as_role, people):
    case = _file(people, category="kekerasan_seksual", priority="tinggi")
    page = as_role("staff_a").get(f"/console/cases/{case.reference}").get_data(as_text=True)
    assert "Batas lapor polisi" in page
    assert case.police_report_due_at.astimezone(clock.now().tzinfo) is not None
    # 3x24 hours after T0 (09:00 WITA on 10 March): 13-03-2026 09:00 WITA.
    assert "13-03-2026 09:00" in page


def test_staff_record_the_police_report_once(as_role, people):
    case = _file(people, category="kekerasan_seksual", priority="tinggi")
    client = as_role("staff_a")
    clock.freeze(clock.now() + timedelta(minutes=20))
    post(client, f"/console/cases/{case.reference}/police-report")
    post(client, f"/console/cases/{case.reference}/police-report")
    db.session.expire_all()
    assert case.police_reported_at == clock.now()
    assert [e.kind for e in case.events].count("police_reported") == 1
    page = client.get(f"/console/cases/{case.reference}").get_data(as_text=True)
    assert "Sudah dilaporkan ke polisi</button>" not in page


def test_close_with_a_reason_and_the_services_given(as_role, people):
    client = as_role("staff_a")
    case = people.cases["a"]
    post(client, f"/console/cases/{case.reference}/acknowledge")
    form = {"closure_reason": "layanan_selesai", "services": ["pengaduan", "kesehatan"]}
    response = post(client, f"/console/cases/{case.reference}/close", form)
    assert response.status_code == 302
    db.session.expire_all()
    assert case.status.value == "selesai"
    assert case.closure_reason.value == "layanan_selesai"
    assert case.services_given == ["pengaduan", "kesehatan"]  # in the SIMFONI list's order


def test_a_reason_outside_the_list_closes_nothing(as_role, people):
    client = as_role("staff_a")
    case = people.cases["a"]
    post(client, f"/console/cases/{case.reference}/acknowledge")
    response = post(client, f"/console/cases/{case.reference}/close", {"closure_reason": "bosan"})
    assert response.status_code == 303
    db.session.expire_all()
    assert case.status.value == "diterima"
    page = client.get(f"/console/cases/{case.reference}").get_data(as_text=True)
    assert "Pilih alasan penutupan dari daftar." in page


def test_rejecting_without_a_reason_is_refused(as_role, people):
    client = as_role("staff_a")
    case = people.cases["a"]
    response = post(client, f"/console/cases/{case.reference}/status", {"status": "ditolak"})
    assert response.status_code == 303
    db.session.expire_all()
    assert case.status.value == "baru"


def test_note_and_referral(as_role, people):
    client = as_role("staff_a")
    case = people.cases["a"]
    post(client, f"/console/cases/{case.reference}/note", {"text": "korban aman di rumah kerabat"})
    post(
        client,
        f"/console/cases/{case.reference}/refer",
        {"agency": "DINSOS-72", "reason": "butuh rumah aman"},
    )
    db.session.expire_all()
    assert case.status.value == "dirujuk"
    kinds = [e.kind for e in case.events]
    assert "note" in kinds
    assert "referred" in kinds
    # Referred away from staff_a's agency: the case is no longer theirs to see.
    assert client.get(f"/console/cases/{case.reference}").status_code == 404


def test_simfoni_fields_are_prefilled_by_triage_and_completed_by_staff(as_role, people):
    case = people.cases["a"]  # kdrt, perempuan
    assert case.violence_form.value == "fisik"
    assert case.incident_place.value == "rumah_tangga"
    assert case.victim_sex.value == "perempuan"
    client = as_role("staff_a")
    form = {
        "incident_on": "2026-03-09",
        "incident_place": "rumah_tangga",
        "violence_form": "fisik",
        "victim_age_group": "25-44",
        "victim_sex": "perempuan",
        "victim_has_disability": "tidak",
        "perpetrator_sex": "laki_laki",
        "perpetrator_age_group": "25-44",
        "perpetrator_relationship": "suami_istri",
    }
    assert post(client, f"/console/cases/{case.reference}/simfoni", form).status_code == 302
    db.session.expire_all()
    assert case.victim_age_group.value == "25-44"
    assert case.victim_has_disability is False
    assert case.perpetrator_relationship.value == "suami_istri"
    assert case.incident_on.isoformat() == "2026-03-09"
    assert case.events[-1].kind == "simfoni"
    bad = post(client, f"/console/cases/{case.reference}/simfoni", {"victim_sex": "x"})
    assert bad.status_code == 303


def test_triage_helps_fill_a_walk_in_case(as_role, people):
    client = as_role("staff_a")
    text = "tolong tetangga sy di desa Sidera dipukuli suaminya sekarang"
    page = post(
        client, "/console/cases/new", {"text": text, "action": "triage"}, page="/console/cases/new"
    ).get_data(as_text=True)
    assert 'value="kdrt" selected' in page
    assert 'value="darurat" selected' in page
    assert 'value="Sidera"' in page
    assert f'name="region_code" value="{SIDERA}"' in page


def test_a_walk_in_case_is_routed_and_alerts_like_any_report(as_role, people):
    seed_demo_rosters(db.session)
    db.session.commit()
    client = as_role("staff_a")
    form = {
        "source": "walk_in",
        "text": "ibu datang ke kantor, anaknya dilecehkan tadi pagi",
        "category": "kekerasan_seksual",
        "victim": "anak",
        "priority": "darurat",
        "place": "Sidera",
        "may_contact": "ya",
        "action": "file",
    }
    response = post(client, "/console/cases/new", form, page="/console/cases/new")
    assert response.status_code == 302
    reference = response.headers["Location"].rsplit("/", 1)[1]
    case = db.session.scalar(select(Case).where(Case.reference == reference))
    assert case.region_code == SIDERA
    report = db.session.scalar(select(Report).where(Report.case_id == case.id))
    assert report.source == "walk_in"
    routed = next(e for e in case.events if e.kind == "routed")
    assert "POLRES-SIGI-PPA" in timeline.details(routed)["agencies"]
    alerts = db.session.scalars(
        select(Outbox).where(Outbox.case_id == case.id, Outbox.purpose == Purpose.ALERT)
    ).all()
    assert alerts, "the on-call officers are alerted"
    filed = db.session.scalar(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "filed_by_staff")
    )
    assert filed.actor_account_id == people.accounts["staff_a"].id


def test_a_place_named_twice_asks_which(as_role, people):
    client = as_role("staff_a")
    form = {
        "source": "telepon",
        "text": "anak ditelantarkan",
        "category": "kekerasan_anak",
        "victim": "anak",
        "priority": "biasa",
        "place": "Tanjung",
        "action": "file",
    }
    response = post(client, "/console/cases/new", form, page="/console/cases/new")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Desa yang mana?" in page or "tidak ditemukan" in page
    assert db.session.scalar(select(Report).where(Report.source == "telepon")) is None


def test_a_walk_in_without_text_is_refused(as_role, people):
    client = as_role("staff_a")
    response = post(
        client,
        "/console/cases/new",
        {"source": "walk_in", "action": "file"},
        page="/console/cases/new",
    )
    assert response.status_code == 400
    assert "Tuliskan apa yang terjadi." in response.get_data(as_text=True)


def test_case_page_names_the_files_a_message_carried_to_those_who_may_read(as_role, people):
    import json

    from cases import Deployment, ReportIn, file_report
    from models import InboundMessage

    message = InboundMessage(
        provider="twilio",
        channel="whatsapp",
        provider_message_id="MM0001",
        sender_hash="x" * 64,
        sender="+628080000099",
        body="foto luka",
        media=json.dumps([{"url": "https://api.twilio.com/m/1", "content_type": "image/jpeg"}] * 2),
    )
    db.session.add(message)
    db.session.flush()
    item = ReportIn(
        "whatsapp",
        "foto luka",
        "kdrt",
        "perempuan",
        "tinggi",
        SIDERA,
        inbound_message_id=message.id,
    )
    case = file_report(db.session, item, clock.now(), Deployment()).case
    db.session.commit()
    staff = as_role("staff_a").get(f"/console/cases/{case.reference}").get_data(as_text=True)
    assert "Lampiran: 2 (image/jpeg)" in staff
    assert "api.twilio.com" not in staff
    admin = as_role("admin").get(f"/console/cases/{case.reference}").get_data(as_text=True)
    assert "Lampiran" not in admin
