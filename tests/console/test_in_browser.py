"""The console in a real browser (Debian's Chromium through Playwright): acceptance paths."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from console import auth
from core.db import db
from models import Case, Outbox, Purpose, Report, RoutingRule
from tests.console.conftest import PASSWORD

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"


@pytest.fixture
def known(people) -> dict[str, Any]:
    """Plain values of the world, read once; then the test's transaction ends.

    Every transaction on SQLite here takes the write lock at BEGIN, so the test must hold
    none while the browser works: it reads what it needs first, and checks the database
    after the browser is done (or ends its transaction at once).
    """
    values = {f"id_{k}": a.id for k, a in people.accounts.items()}
    values.update({f"ref_{k}": c.reference for k, c in people.cases.items()})
    db.session.rollback()
    return values


@pytest.fixture
def browser_context_args(browser_context_args: dict) -> dict:
    """Let the tests inject axe-core into pages whose policy allows no inline script."""
    return {**browser_context_args, "bypass_csp": True}


def count(*where: Any) -> int:
    """Count rows and end the transaction at once."""
    found = db.session.scalar(select(func.count()).where(*where))
    db.session.rollback()
    return found


def sign_in(page: Page, base: str, account_id: int, password: str = PASSWORD) -> None:
    page.goto(f"{base}/console/login")
    page.fill("#account", str(account_id))
    page.fill("#password", password)
    page.click("button[type=submit]")


def serious_violations(page: Page) -> list[str]:
    """Run axe-core on the page; return the serious and critical violations."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])})"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_sign_in_and_sign_out(page: Page, live_server: str, known) -> None:
    sign_in(page, live_server, known["id_staff_a"])
    expect(page.locator("h1")).to_have_text("Antrean kasus")
    expect(page.locator(".ref").first).to_have_text(known["ref_a"])
    page.click("text=Keluar")
    expect(page.locator("h1")).to_have_text("Masuk")
    expect(page.locator(".flash")).to_have_text("Anda sudah keluar.")
    page.goto(f"{live_server}/console/")
    expect(page.locator("h1")).to_have_text("Masuk")


def test_wrong_passwords_hit_the_limit(page: Page, live_server: str, known) -> None:
    account = known["id_staff_a"]
    for _ in range(auth.ACCOUNT_LIMIT):
        sign_in(page, live_server, account, "bukan-sandinya")
        expect(page.locator("[role=alert]")).to_have_text("Akun atau kata sandi salah.")
    sign_in(page, live_server, account)
    expect(page.locator("[role=alert]")).to_contain_text("Terlalu banyak percobaan")
    expect(page.locator("h1")).to_have_text("Masuk")


def test_staff_acknowledge_a_case_from_the_queue(page: Page, live_server: str, known) -> None:
    reference = known["ref_a"]
    sign_in(page, live_server, known["id_staff_a"])
    page.click(f"text=Terima {reference}")
    expect(page.locator(".flash")).to_have_text("Kasus diterima.")
    expect(page.locator(f"text=Terima {reference}")).to_have_count(0)
    db.session.expire_all()
    case = db.session.scalar(select(Case).where(Case.reference == reference))
    assert case.status.value == "diterima"


def test_filing_a_walk_in_case_routes_and_alerts(page: Page, live_server: str, known) -> None:
    from alerts.rosters import seed_demo_rosters

    seed_demo_rosters(db.session)
    db.session.commit()
    sign_in(page, live_server, known["id_staff_a"])
    page.click("nav >> text=Catat kasus")
    page.select_option("#source", "walk_in")
    page.fill(
        "#text", "anak perempuan 12 tahun dilecehkan tetangga di desa Sidera, pelaku masih di rumah"
    )
    page.click("text=Bantu isi dari cerita")
    expect(page.locator("#category")).to_have_value("kekerasan_seksual")
    expect(page.locator("#place")).to_have_value("Sidera")
    page.select_option("#priority", "darurat")
    page.click("text=Catat dan teruskan")
    expect(page.locator(".flash")).to_contain_text("dibuat dan diteruskan")
    reference = page.locator("h1").inner_text().split()[-1]
    case = db.session.scalar(select(Case).where(Case.reference == reference))
    assert case.category == "kekerasan_seksual"
    assert case.region_code == "72.10.01.2007"
    assert db.session.scalar(select(Report.source).where(Report.case_id == case.id)) == "walk_in"
    assert count(Outbox.case_id == case.id, Outbox.purpose == Purpose.ALERT) >= 1


def test_coordinator_changes_the_routing_table_and_is_refused_a_bad_one(
    page: Page, live_server: str, known
) -> None:
    rules = RoutingRule.id.is_not(None)
    before = count(rules)
    sign_in(page, live_server, known["id_coordinator"])
    page.click("nav >> text=Tabel rujukan")
    table = page.locator("#rules")
    table.fill(table.input_value() + "kdrt,*,*,72,DINSOS-72,supporting,,\n")
    page.click("main button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("Tabel rujukan disimpan")
    assert count(rules) == before + 1
    # A rule naming no agency that exists is refused with its name.
    table.fill(table.input_value() + "kdrt,*,*,72.10,TIDAK-ADA,primary,,\n")
    page.click("main button[type=submit]")
    expect(page.locator("[role=alert]")).to_contain_text("Tabel tidak disimpan")
    expect(page.locator("[role=alert]")).to_contain_text("TIDAK-ADA")
    # A table with no rules at all would leave every case with nobody: the gaps are listed.
    page.locator("#rules").fill("category,victim,priority,region,agency,role,note,weight\n")
    page.click("main button[type=submit]")
    expect(page.locator("[role=alert]")).to_contain_text("Tabel tidak disimpan")
    expect(page.locator("[role=alert]")).to_contain_text("no agency")
    assert count(rules) == before + 1


def test_xlsx_export_opens_with_openpyxl(page: Page, live_server: str, people) -> None:
    case = people.cases["a"]
    case.victim_age_group = "18-24"
    case.victim_has_disability = True
    case.perpetrator_sex = "laki_laki"
    case.perpetrator_age_group = "25-44"
    case.perpetrator_relationship = "suami_istri"
    case.services_given = ["pengaduan"]
    db.session.commit()
    reference, other = case.reference, people.cases["b"].reference
    coordinator = people.accounts["coordinator"].id
    db.session.rollback()
    sign_in(page, live_server, coordinator)
    page.click("nav >> text=Ekspor SIMFONI")
    page.fill("#e-from", "2026-03-01")
    page.fill("#e-to", "2026-03-31")
    with page.expect_download() as download:
        page.click("text=Unduh")
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    rows = list(book.active.iter_rows(values_only=True))
    header, found = rows[0], {r[0]: r for r in rows[1:]}
    row = dict(zip(header, found[reference], strict=True))
    assert row["Nomor kasus"] == reference
    assert row["Tanggal lapor"] == "2026-03-10"
    assert row["Tanggal kejadian"] is None
    assert row["Kabupaten/kota"] == "KABUPATEN SIGI"
    assert row["Desa/kelurahan"] == "Sidera"
    assert row["Kategori"] == "kdrt"
    assert row["Tempat kejadian"] == "rumah_tangga"
    assert row["Bentuk kekerasan"] == "fisik"
    assert row["Usia korban"] == "18-24"
    assert row["Jenis kelamin korban"] == "perempuan"
    assert row["Korban penyandang disabilitas"] == "ya"
    assert row["Jenis kelamin pelaku"] == "laki_laki"
    assert row["Usia pelaku"] == "25-44"
    assert row["Hubungan pelaku dengan korban"] == "suami_istri"
    assert row["Layanan"] == "pengaduan"
    assert row["Status"] == "baru"
    assert set(found) == {reference, other}


PAGES = {
    "staff_a": ["/console/", "/console/cases/{a}", "/console/cases/new", "/console/export"],
    "coordinator": [
        "/console/dashboard",
        "/console/routing",
        "/console/rosters",
        "/console/rosters/DP3A-7210",
        "/console/accounts",
    ],
}


@pytest.mark.parametrize("role", list(PAGES))
def test_no_serious_accessibility_violations(page: Page, live_server: str, known, role) -> None:
    page.goto(f"{live_server}/console/login")
    assert serious_violations(page) == [], "/console/login"
    sign_in(page, live_server, known[f"id_{role}"])
    for path in PAGES[role]:
        page.goto(live_server + path.format(a=known["ref_a"]))
        assert serious_violations(page) == [], path
