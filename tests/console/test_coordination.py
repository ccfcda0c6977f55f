"""Coordinators in the console: dashboard, routing table, rosters, accounts, tokens, exports."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from cases import acknowledge
from console import exports
from core import clock
from core.db import db
from models import Account, CaseEvent, RosterOverride, RosterSlot, RoutingRule
from tests.api.conftest import AGENCY_A
from tests.console.conftest import post


def _rules() -> int:
    return db.session.scalar(select(func.count()).select_from(RoutingRule))


def test_dashboard_draws_the_figures(as_role, people):
    clock.freeze(clock.now() + timedelta(hours=1))
    acknowledge(db.session, people.cases["a"], people.accounts["staff_a"], clock.now())
    db.session.commit()
    page = as_role("coordinator").get("/console/dashboard").get_data(as_text=True)
    assert page.count("<svg") == 3
    assert 'aria-label="Kasus per minggu"' in page
    assert "Kab. Sigi" in page or "SIGI" in page.upper()
    # One of two cases acknowledged, in time; the other not yet due: 100% in time.
    assert "100%" in page
    assert "60 mnt" in page  # the median wait


def test_routing_table_saves_through_the_routing_service(as_role, people):
    client = as_role("coordinator")
    before = _rules()
    text = re.search(
        r'<textarea id="rules"[^>]*>(.*?)</textarea>',
        client.get("/console/routing").get_data(as_text=True),
        re.S,
    )[1]
    text = text.replace("&#34;", '"').replace("&amp;", "&").replace("&#39;", "'")
    extra = "kdrt,*,*,72,DINSOS-72,supporting,,\n"
    response = post(client, "/console/routing", {"rules": text + extra}, page="/console/routing")
    assert response.status_code == 302
    assert _rules() == before + 1


def test_a_routing_table_with_an_error_is_refused_and_nothing_changes(as_role, people):
    client = as_role("coordinator")
    before = _rules()
    bad = "category,victim,priority,region,agency,role\nkdrt,*,*,72.10,NO-SUCH-AGENCY,primary\n"
    response = post(client, "/console/routing", {"rules": bad}, page="/console/routing")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Tabel tidak disimpan" in page
    assert "NO-SUCH-AGENCY" in page
    assert _rules() == before


def test_a_table_that_leaves_cases_without_an_agency_or_police_is_refused(as_role, people):
    """Emptying the table, or keeping only a service without the police, is refused, gaps listed."""
    client = as_role("coordinator")
    before = _rules()
    header = "category,victim,priority,region,agency,role\n"
    for rules, gap in (
        (header, "no agency"),
        (header + f"*,*,*,72,{AGENCY_A},primary\n", "no police unit"),
    ):
        response = post(client, "/console/routing", {"rules": rules}, page="/console/routing")
        assert response.status_code == 400
        assert gap in response.get_data(as_text=True)
        assert _rules() == before


def test_rosters_weekly_pattern_and_override(as_role, people):
    client = as_role("coordinator")
    staff = people.accounts["staff_a"]
    path = f"/console/rosters/{AGENCY_A}"
    weekly = {
        "kind": "weekly",
        "weekdays": "mon-fri",
        "starts": "08:00",
        "ends": "16:00",
        "account_id": staff.id,
        "role": "primary",
    }
    assert post(client, path, weekly, page=path).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(RosterSlot)) == 5
    override = {
        "kind": "override",
        "starts_on": "2026-03-20",
        "ends_on": "2026-03-21",
        "account_id": staff.id,
        "role": "backup",
    }
    assert post(client, path, override, page=path).status_code == 302
    assert db.session.scalar(select(RosterOverride)).role.value == "backup"
    page = client.get(path).get_data(as_text=True)
    assert "Senin" in page
    assert "20-03-2026" in page
    bad = {**weekly, "weekdays": "someday"}
    assert post(client, path, bad, page=path).status_code == 400
    other = {**weekly, "account_id": people.accounts["staff_b"].id}
    assert post(client, path, other, page=path).status_code == 400


def test_create_deactivate_and_reactivate_an_account(as_role, people, app):
    client = as_role("coordinator")
    form = {"role": "staff", "name": "Petugas Baru", "phone": "+6280800009999", "agency": AGENCY_A}
    assert post(client, "/console/accounts", form, page="/console/accounts").status_code == 302
    created = db.session.scalar(
        select(Account).where(Account.role == "staff").order_by(Account.id.desc())
    )
    assert created.agency_id == people.agencies[AGENCY_A].id
    again = post(client, "/console/accounts", form, page="/console/accounts")
    assert again.status_code == 400
    assert "sudah dipakai" in again.get_data(as_text=True)
    target = people.accounts["staff_a"]
    post(client, f"/console/accounts/{target.id}/active", {"active": "0"}, page="/console/accounts")
    db.session.expire_all()
    assert not target.is_active
    post(client, f"/console/accounts/{target.id}/active", {"active": "1"}, page="/console/accounts")
    db.session.expire_all()
    assert target.is_active


def test_a_facilitators_token_is_shown_once_as_a_qr_code_and_works(as_role, people, client):
    coordinator = as_role("coordinator")
    facilitator = people.accounts["facilitator"]
    page = post(
        coordinator, f"/console/accounts/{facilitator.id}/token", page="/console/accounts"
    ).get_data(as_text=True)
    token = re.search(r'<code class="token">(sigap_[^<]+)</code>', page)[1]
    assert "<svg" in page
    api = client.get("/api/v1/sync/changes", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200


def test_a_coordinator_sets_a_password_and_the_old_sessions_end(as_role, people, app):
    staff_client = as_role("staff_a")
    clock.freeze(clock.now() + timedelta(minutes=1))
    coordinator = as_role("coordinator")
    target = people.accounts["staff_a"]
    post(
        coordinator,
        f"/console/accounts/{target.id}/password",
        {"password": "sandi-baru-panjang"},
        page="/console/accounts",
    )
    assert staff_client.get("/console/").status_code == 302
    short = post(
        coordinator,
        f"/console/accounts/{target.id}/password",
        {"password": "pendek"},
        page="/console/accounts",
    )
    assert short.status_code == 303


# --- exports --------------------------------------------------------------------------------


def _fill(people) -> None:
    case = people.cases["a"]
    case.victim_age_group = "25-44"
    case.victim_has_disability = False
    case.perpetrator_sex = "laki_laki"
    case.perpetrator_age_group = "25-44"
    case.perpetrator_relationship = "suami_istri"
    case.services_given = ["kesehatan", "pengaduan"]
    db.session.commit()


def test_xlsx_export_carries_the_simfoni_fields_and_is_audited(as_role, people):
    _fill(people)
    response = as_role("coordinator").get("/console/export?from=2026-03-01&to=2026-03-31")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Nomor kasus"
    assert len(rows[0]) == len(exports.COLUMNS)
    by_ref = {r[0]: dict(zip(exports.COLUMNS, r, strict=True)) for r in rows[1:]}
    a = by_ref[people.cases["a"].reference]
    assert a["report_date"] == "2026-03-10"
    assert a["regency"] == "KABUPATEN SIGI"
    assert a["village"] == "Sidera"
    assert a["category"] == "kdrt"
    assert a["incident_place"] == "rumah_tangga"
    assert a["violence_form"] == "fisik"
    assert a["victim_age_group"] == "25-44"
    assert a["victim_sex"] == "perempuan"
    assert a["victim_disability"] == "tidak"
    assert a["perpetrator_sex"] == "laki_laki"
    assert a["perpetrator_relationship"] == "suami_istri"
    assert a["services"] == "kesehatan;pengaduan"
    assert set(by_ref) == {people.cases["a"].reference, people.cases["b"].reference}
    exported = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "exported")).all()
    assert {e.case_id for e in exported} == {people.cases["a"].id, people.cases["b"].id}
    assert {e.actor_account_id for e in exported} == {people.accounts["coordinator"].id}


def test_csv_export_of_a_staff_member_holds_only_their_cases(as_role, people):
    response = as_role("staff_a").get("/console/export?from=2026-03-01&to=2026-03-31&format=csv")
    text = response.data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert [r[0] for r in rows[1:]] == [people.cases["a"].reference]


@pytest.mark.parametrize(
    "query", ["from=2026-03-31&to=2026-03-01", "from=2026-03-01&to=2026-03-31&format=pdf"]
)
def test_a_bad_export_request_is_refused(as_role, people, query):
    assert as_role("coordinator").get(f"/console/export?{query}").status_code == 400


def test_the_export_form_without_dates(as_role, people):
    page = as_role("coordinator").get("/console/export").get_data(as_text=True)
    assert 'name="from"' in page
