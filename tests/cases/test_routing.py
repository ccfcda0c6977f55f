"""Routing: every case reaches an agency; regency services where they exist, else provincial."""

import io

import pytest
from sqlalchemy import select

from cases import routing
from cases.routing import CATEGORIES, PRIORITIES, VICTIMS, RoutingFileError, route
from core.db import db
from models import AgencyRole, Region, RegionLevel, RoutingRule
from tests.cases.conftest import MOENGKO, SIDERA

REGENCIES = [
    "72.01",
    "72.02",
    "72.03",
    "72.04",
    "72.05",
    "72.06",
    "72.07",
    "72.08",
    "72.09",
    "72.10",
    "72.11",
    "72.12",
    "72.71",
]


def routed(category, victim="perempuan", priority="tinggi", region=SIDERA):
    """The agencies a case goes to, as {code: role}."""
    return {
        r.agency.code: r.role.value for r in route(db.session, category, victim, priority, region)
    }


def test_the_gazetteer_has_these_thirteen_regencies(app):
    have = db.session.scalars(
        select(Region.code).where(
            Region.level == RegionLevel.REGENCY, Region.code.startswith("72.")
        )
    )
    assert sorted(have) == sorted(REGENCIES)


@pytest.mark.parametrize("category", CATEGORIES)
def test_every_pair_in_every_regency_reaches_a_primary_agency(agencies, category):
    for regency in REGENCIES:
        for victim in VICTIMS:
            for priority in PRIORITIES:
                got = routed(category, victim, priority, regency)
                assert "primary" in got.values(), (category, victim, priority, regency)


@pytest.mark.parametrize("category", CATEGORIES)
def test_a_regency_with_no_rule_falls_back_to_the_province(agencies, category):
    from_village = routed(category, region=MOENGKO)  # Poso has no regency services
    assert from_village == routed(category, region="72")
    assert not {"DP3A-7210", "UPTD-PPA-7271", "POLRES-SIGI-PPA", "POLRESTA-PALU-PPA"} & set(
        from_village
    )


def test_regency_services_where_they_exist(agencies):
    assert routed("kdrt", region=SIDERA) == {"DP3A-7210": "primary"}
    assert routed("kdrt", region="72.71.01.1004") == {"UPTD-PPA-7271": "primary"}
    assert routed("kdrt", region=MOENGKO) == {"UPTD-PPA-72": "primary", "DP3A-72": "supporting"}


def test_police_for_sexual_violence_and_emergencies_at_the_nearest_unit(agencies):
    assert routed("kekerasan_seksual")["POLRES-SIGI-PPA"] == "supporting"
    assert routed("kekerasan_seksual", priority="darurat")["POLRES-SIGI-PPA"] == "primary"
    assert routed("lainnya", priority="darurat", region="72.71")["POLRESTA-PALU-PPA"] == "primary"
    assert routed("kdrt", priority="darurat", region=MOENGKO)["POLDA-PPA-72"] == "primary"
    assert "POLDA-PPA-72" not in routed("kdrt", region=MOENGKO)


def test_trafficking_goes_to_bp3mi_and_the_police(agencies):
    got = routed("tppo", region=MOENGKO)
    assert got["BP3MI-72"] == got["POLDA-PPA-72"] == "primary"
    assert routed("tppo")["POLRES-SIGI-PPA"] == "primary"


def test_social_services_support_on_child_abuse_and_neglect(agencies):
    assert routed("kekerasan_anak", victim="anak")["DINSOS-72"] == "supporting"
    assert routed("kekerasan_anak", victim="anak", region=MOENGKO)["DINSOS-72"] == "supporting"


def test_primary_agencies_come_first(agencies):
    roles = [r.role for r in route(db.session, "kekerasan_anak", "anak", "biasa", SIDERA)]
    assert roles == sorted(roles, key=lambda r: r != AgencyRole.PRIMARY)


def test_a_village_rule_is_nearer_than_the_regency(agencies):
    db.session.add(
        RoutingRule(
            category="kdrt",
            region_code=SIDERA,
            agency_id=agencies["UPTD-PPA-72"].id,
            role=AgencyRole.PRIMARY,
        )
    )
    assert routed("kdrt") == {"UPTD-PPA-72": "primary"}
    assert routed("kdrt", region="72.10.01.2003") == {"DP3A-7210": "primary"}  # next village


def test_a_victim_rule_applies_only_to_that_victim(agencies):
    db.session.add(
        RoutingRule(
            category="kdrt",
            victim="anak",
            region_code="72.10",
            agency_id=agencies["DINSOS-72"].id,
            role=AgencyRole.SUPPORTING,
        )
    )
    assert "DINSOS-72" in routed("kdrt", victim="anak")
    assert "DINSOS-72" not in routed("kdrt", victim="perempuan")


def test_an_inactive_agency_is_passed_over_for_the_next_level(agencies):
    agencies["DP3A-7210"].is_active = False
    assert routed("kdrt") == {"UPTD-PPA-72": "primary", "DP3A-72": "supporting"}


def test_with_no_rules_at_all_a_case_still_reaches_the_province_service(agencies):
    db.session.execute(RoutingRule.__table__.delete())
    assert routed("tppo", region=MOENGKO) == {"UPTD-PPA-72": "primary"}
    # The case's own regency service is nearer than the province's.
    assert routed("tppo", region="72.71.01.1004") == {"UPTD-PPA-7271": "primary"}
    agencies["UPTD-PPA-72"].is_active = False
    assert routed("tppo", region=MOENGKO) == {"DP3A-72": "primary"}


def test_export_then_import_gives_the_same_table(agencies):
    out = io.StringIO()
    count = routing.export_rules(db.session, out)
    before = _table()
    assert count == len(before) > 30
    assert out.getvalue().splitlines()[0] == (
        "category,victim,priority,region,agency,role,region_name,agency_name"
    )
    assert "kdrt,*,*,72.10,DP3A-7210,primary,KABUPATEN SIGI,DP3A Kabupaten Sigi" in out.getvalue()
    removed, added = routing.import_rules(db.session, out.getvalue(), ["72"])
    assert removed == added == count
    assert _table() == before


def test_a_semicolon_file_from_excel_is_read(agencies):
    text = "\ufeffcategory;victim;priority;region;agency;role\n" + "".join(
        f"{line}\n"
        for line in (
            "*;*;*;72;UPTD-PPA-72;primary",
            "*;*;darurat;72;POLDA-PPA-72;primary",
            "kekerasan_seksual;*;*;72;POLDA-PPA-72;supporting",
            "kdrt;*;*;72.02;UPTD-PPA-72;primary",
            "kdrt;*;darurat;72.02;POLDA-PPA-72;supporting",
        )
    )
    before = len(_table())
    assert routing.import_rules(db.session, text, ["72"]) == (before, 5)
    assert routed("kdrt", region=MOENGKO) == {"UPTD-PPA-72": "primary"}


def test_a_bad_file_names_every_problem_and_changes_nothing(agencies):
    before = _table()
    text = (
        "category,victim,priority,region,agency,role\n"
        "kdrt,*,*,72.10,DP3A-7210,primary\n"
        "kdtr,*,*,72.10,DP3A-7210,primary\n"
        "tppo,lelaki,*,72.99,NOPE,boss\n"
        "kdrt,,,72.10,dp3a-7210,supporting\n"
    )
    with pytest.raises(RoutingFileError) as caught:
        routing.import_rules(db.session, text, ["72"])
    problems = caught.value.problems
    assert problems[0].startswith("line 3: category 'kdtr'")
    assert {p.split(":")[0] for p in problems} == {"line 3", "line 4", "line 5"}
    assert len([p for p in problems if p.startswith("line 4")]) == 4
    assert "as line 2" in problems[-1]
    assert _table() == before


def test_a_file_without_the_columns_is_refused(agencies):
    with pytest.raises(RoutingFileError, match="missing column"):
        routing.import_rules(db.session, "kategori,wilayah\nkdrt,72\n", ["72"])


def test_defaults_load_once(agencies):
    assert routing.seed_default_rules(db.session) == 0  # the fixture loaded them
    db.session.execute(RoutingRule.__table__.delete())
    assert (
        routing.seed_default_rules(db.session)
        == len(routing.DEFAULTS_FILE.read_text().splitlines()) - 1
    )


def test_defaults_skip_agencies_that_do_not_exist(app):
    assert routing.seed_default_rules(db.session) == 0
    assert db.session.scalar(select(RoutingRule.id)) is None


def _table():
    return sorted(
        db.session.execute(
            select(
                RoutingRule.category,
                RoutingRule.victim,
                RoutingRule.priority,
                RoutingRule.region_code,
                RoutingRule.agency_id,
                RoutingRule.role,
            )
        ).all(),
        key=repr,
    )


def test_the_defaults_leave_no_gap(agencies):
    assert routing.coverage_gaps(db.session, routing.default_rules(db.session), ["72"]) == []


def test_an_inactive_agency_counts_for_nothing_in_the_coverage(agencies):
    agencies["POLRES-SIGI-PPA"].is_active = False
    gaps = routing.coverage_gaps(db.session, routing.default_rules(db.session), ["72"])
    assert gaps == ["72.10 KABUPATEN SIGI: no police unit for */*/darurat, kekerasan_seksual/*/*"]
