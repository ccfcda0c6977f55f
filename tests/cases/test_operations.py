"""Filing reports into cases: open, join the same incident, route, deadlines, split, work."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from cases import (
    Deployment,
    NotOnCase,
    ReferralRefused,
    acknowledge,
    add_note,
    file_report,
    operations,
    record_read,
    refer,
    references,
    split_report,
)
from cases.timeline import details
from core import clock
from core.db import db
from models import Account, AgencyRole, Case, CaseStatus, Report, Role
from tests.cases.conftest import BORA, MOENGKO, SIDERA, T0, report_in, staff_of


def file(item, **kw):
    return file_report(db.session, item, clock.now(), **kw)


def kinds(case):
    db.session.flush()
    return [e.kind for e in case.events]


def active(case):
    return {(link.agency_id, link.role.value) for link in case.agencies if link.is_active}


def test_a_report_opens_a_routed_case_with_its_deadlines(agencies, reporter, handoffs):
    filed = file(report_in(reporter_id=reporter(7001).id, category="kekerasan_seksual"))
    case = filed.case
    assert (filed.is_new, filed.joined) == (True, False)
    assert references.is_well_formed(case.reference)
    assert (case.status, case.region_code, case.opened_at) == (CaseStatus.BARU, SIDERA, T0)
    assert case.ack_due_at == T0 + timedelta(hours=6)
    assert case.police_report_due_at == T0 + timedelta(hours=72)
    assert active(case) == {
        (agencies["DP3A-7210"].id, "primary"),
        (agencies["POLRES-SIGI-PPA"].id, "supporting"),
    }
    assert kinds(case) == ["opened", "routed"]
    assert handoffs.calls == [("routed", (case.id, ["DP3A-7210", "POLRES-SIGI-PPA"]))]
    assert filed.report.text == "tetangga dipukuli suaminya"


def test_two_neighbours_an_hour_apart_make_one_case(agencies, reporter, handoffs):
    first = file(report_in(reporter_id=reporter(7001).id))
    clock.advance(timedelta(hours=1))
    second = file(report_in(reporter_id=reporter(7002).id, source="whatsapp"))
    assert second.case.id == first.case.id
    assert (second.joined, second.is_new) == (True, True)
    assert {r.id for r in first.case.reports} == {first.report.id, second.report.id}
    assert kinds(first.case) == ["opened", "routed", "report_joined"]
    joined = first.case.events[-1]
    # The second reporter is given a reference of their own; staff see it on the timeline.
    assert second.reference not in (first.case.reference, first.reference)
    assert second.reference == second.report.reference
    assert (joined.actor, details(joined)) == (
        "reporter",
        {"report_id": second.report.id, "reference": second.reference},
    )
    assert len(handoffs.of("routed")) == 1  # the agencies were alerted once, at opening


def test_four_days_apart_make_two_cases(agencies, reporter):
    first = file(report_in(reporter_id=reporter(7001).id))
    clock.advance(timedelta(days=4))
    second = file(report_in(reporter_id=reporter(7002).id))
    assert second.case.id != first.case.id
    assert not second.joined


def test_the_same_reporter_on_the_same_matter_within_a_day_joins(agencies, reporter):
    person = reporter(7001)
    first = file(report_in(reporter_id=person.id, region_code=None))
    clock.advance(timedelta(hours=20))
    again = file(report_in(reporter_id=person.id, region_code=None, text="dia datang lagi"))
    assert again.joined
    assert again.case.id == first.case.id
    clock.advance(timedelta(hours=25))  # a day after their last message: a new incident
    assert not file(report_in(reporter_id=person.id, region_code=None)).joined


def test_the_same_reporter_on_another_matter_opens_another_case(agencies, reporter):
    person = reporter(7001)
    first = file(report_in(reporter_id=person.id))
    other = file(report_in(reporter_id=person.id, category="tppo"))
    assert other.case.id != first.case.id


@pytest.mark.parametrize(
    ("change", "expect_join"),
    [
        ({"region_code": BORA}, False),  # the next village
        ({"category": "kekerasan_anak"}, False),
        ({"hours": 5}, True),
        ({"hours": 7}, False),
    ],
)
def test_what_counts_as_the_same_place_and_time(agencies, reporter, change, expect_join):
    first = file(report_in(reporter_id=reporter(7001).id))
    clock.advance(timedelta(hours=change.pop("hours", 1)))
    second = file(report_in(reporter_id=reporter(7002).id, **change))
    assert second.joined is expect_join
    assert (second.case.id == first.case.id) is expect_join


def test_a_closed_case_is_not_joined(agencies, reporter):
    first = file(report_in(reporter_id=reporter(7001).id))
    first.case.status = CaseStatus.SELESAI
    assert not file(report_in(reporter_id=reporter(7002).id)).joined


def test_reports_placed_only_by_district_are_not_joined_by_place(agencies, reporter):
    first = file(report_in(reporter_id=reporter(7001).id, region_code="72.10.01"))
    second = file(report_in(reporter_id=reporter(7002).id, region_code="72.10.01"))
    assert second.case.id != first.case.id


def test_an_emergency_joining_a_case_makes_it_urgent_and_alerts_again(agencies, reporter, handoffs):
    first = file(report_in(reporter_id=reporter(7001).id, priority="biasa"))
    case = first.case
    clock.advance(timedelta(minutes=30))
    file(report_in(reporter_id=reporter(7002).id, priority="darurat"))
    assert case.priority == "darurat"
    assert case.ack_due_at == T0 + timedelta(minutes=45)
    assert kinds(case) == ["opened", "routed", "report_joined", "priority_raised", "routed"]
    assert (agencies["POLRES-SIGI-PPA"].id, "primary") in active(case)
    assert handoffs.of("routed") == [
        (case.id, ["DP3A-7210"]),
        (case.id, ["POLRES-SIGI-PPA"]),
        (case.id, ["DP3A-7210"]),
    ]


def test_a_resent_sync_or_message_files_nothing_twice(agencies, reporter):
    item = report_in(source="app", client_uuid="0b9f3c1e-4a7d-4e43-9a51-6f0c2d7e8b10")
    first = file(item)
    clock.advance(timedelta(minutes=3))
    again = file(item)
    assert (again.report.id, again.case.id, again.is_new) == (first.report.id, first.case.id, False)
    assert db.session.scalar(select(func.count(Report.id))) == 1


def test_a_facilitator_report_without_a_place_takes_the_facilitators(agencies):
    facilitator = Account(role=Role.FACILITATOR, name="Fasilitator Uji", region_code=SIDERA)
    db.session.add(facilitator)
    db.session.flush()
    filed = file(report_in(source="app", region_code=None, facilitator_id=facilitator.id))
    assert filed.case.region_code == SIDERA
    assert filed.report.region_code is None  # what was reported stays as reported
    assert filed.case.events[0].actor_account_id == facilitator.id


def test_a_report_without_a_place_goes_to_the_first_province(agencies):
    filed = file(report_in(region_code=None), deployment=Deployment(fallback_region="72"))
    assert filed.case.region_code == "72"
    assert filed.case.agencies  # and still reaches an agency
    unknown = file(report_in(region_code="72.99.99.9999", category="tppo"))
    assert unknown.case.region_code == "72"


def test_values_triage_never_gives_are_refused(agencies):
    with pytest.raises(ValueError, match="kdtr"):
        file(report_in(category="kdtr"))
    assert db.session.scalar(select(func.count(Report.id))) == 0


def test_biasa_deadline_counts_working_days(agencies):
    clock.freeze(T0 + timedelta(days=3))  # Friday 09:00 WITA
    case = file(report_in(priority="biasa")).case
    assert case.ack_due_at == T0 + timedelta(days=8)  # Wednesday 09:00 WITA


def test_a_case_no_agency_can_take_is_kept_and_marked(agencies):
    for agency in agencies.values():
        agency.is_active = False
    filed = file(report_in())
    assert filed.case.id is not None
    assert not filed.case.agencies
    assert kinds(filed.case) == ["opened", "unrouted"]


def test_a_reference_taken_meanwhile_is_drawn_again(agencies, monkeypatch):
    taken = file(report_in()).case.reference
    fresh = next(r for r in iter(references.new_reference, None) if r != taken)
    draws = iter([taken, fresh])
    monkeypatch.setattr(references, "new_reference", lambda: next(draws))
    case = file(report_in(region_code=MOENGKO)).case
    assert case.reference == fresh
    assert db.session.scalar(select(func.count(Case.id))) == 2
    assert kinds(case) == ["opened", "routed"]


def test_acknowledge_by_staff_on_the_case(agencies, handoffs):
    case = file(report_in()).case
    officer = staff_of(agencies["DP3A-7210"])
    clock.advance(timedelta(minutes=4))
    assert acknowledge(db.session, case, officer, clock.now()) is True
    assert (case.status, case.acknowledged_at) == (CaseStatus.DITERIMA, clock.now())
    assert case.assigned_account_id == officer.id
    assert acknowledge(db.session, case, staff_of(agencies["DP3A-7210"]), clock.now()) is False
    assert handoffs.of("acknowledged") == [(case.id, officer.id)]
    event = case.events[-1]
    assert (event.kind, event.actor, event.actor_account_id) == (
        "acknowledged",
        "staff",
        officer.id,
    )


def test_acknowledge_by_staff_of_another_agency_is_refused(agencies):
    case = file(report_in()).case
    with pytest.raises(NotOnCase):
        acknowledge(db.session, case, staff_of(agencies["UPTD-PPA-7271"]), clock.now())
    assert case.status == CaseStatus.BARU


def test_a_supporting_agency_may_not_refer_and_nothing_changes(agencies):
    case = file(report_in(category="kekerasan_seksual")).case
    police = staff_of(agencies["POLRES-SIGI-PPA"])
    before = {(x.agency_id, x.role, x.is_active) for x in case.agencies}
    events = len(case.events)
    with pytest.raises(ReferralRefused) as refused:
        refer(db.session, case, agencies["UPTD-PPA-72"], clock.now(), police, reason="x")
    assert refused.value.code == "not_primary_agency"
    assert {(x.agency_id, x.role, x.is_active) for x in case.agencies} == before
    assert (case.status, len(case.events)) == (CaseStatus.BARU, events)


def test_an_emergency_referred_by_the_police_keeps_the_police_supporting(agencies):
    case = file(report_in(priority="darurat")).case
    police = agencies["POLRES-SIGI-PPA"]
    refer(db.session, case, agencies["UPTD-PPA-72"], clock.now(), staff_of(police))
    links = {x.agency_id: x for x in case.agencies}
    assert (links[police.id].role, links[police.id].is_active) == (AgencyRole.SUPPORTING, True)
    assert links[agencies["DP3A-7210"].id].is_active is False
    assert details(case.events[-1])["kept"] == ["POLRES-SIGI-PPA"]
    assert details(case.events[-1])["from_agencies"] == ["DP3A-7210"]


def test_referral_keeps_who_had_the_case(agencies, handoffs):
    case = file(report_in(category="kekerasan_seksual")).case
    officer = staff_of(agencies["DP3A-7210"])
    acknowledge(db.session, case, officer, clock.now())
    clock.advance(timedelta(hours=2))
    target = agencies["UPTD-PPA-72"]
    refer(db.session, case, target, clock.now(), officer, reason="butuh rumah aman")
    assert case.status == CaseStatus.DIRUJUK
    links = {link.agency_id: link for link in case.agencies}
    assert links[agencies["DP3A-7210"].id].is_active is False  # kept, not deleted
    assert links[agencies["POLRES-SIGI-PPA"].id].is_active is True  # supporting stays
    assert links[target.id].role == AgencyRole.PRIMARY
    assert (case.acknowledged_at, case.ack_due_at) == (None, clock.now() + timedelta(hours=6))
    event = case.events[-1]
    assert event.kind == "referred"
    assert details(event) == {
        "from_agencies": ["DP3A-7210"],
        "from_status": "diterima",
        "reason": "butuh rumah aman",
        "to_agency": "UPTD-PPA-72",
    }
    assert handoffs.of("routed")[-1] == (case.id, ["UPTD-PPA-72"])
    with pytest.raises(NotOnCase):
        acknowledge(db.session, case, officer, clock.now())  # the old agency stepped back
    assert acknowledge(db.session, case, staff_of(target), clock.now())


def test_notes_and_reads_are_on_the_timeline(agencies):
    case = file(report_in()).case
    officer = staff_of(agencies["DP3A-7210"])
    record_read(db.session, case, officer, clock.now())
    add_note(db.session, case, "korban aman di rumah keluarga", clock.now(), officer)
    read, note = case.events[-2:]
    assert (read.kind, read.actor_account_id) == ("read", officer.id)
    assert details(note) == {"text": "korban aman di rumah keluarga"}
    with pytest.raises(ValueError, match="text"):
        add_note(db.session, case, "  ", clock.now(), officer)


def test_a_joined_report_can_be_split_into_its_own_case(agencies, reporter, handoffs):
    first = file(report_in(reporter_id=reporter(7001).id))
    second = file(report_in(reporter_id=reporter(7002).id))
    old = first.case
    coordinator = Account(role=Role.COORDINATOR, name="Koordinator Uji")
    db.session.add(coordinator)
    db.session.flush()
    new = split_report(db.session, second.report, clock.now(), coordinator, reason="lain rumah")
    assert new.id != old.id
    assert second.report.case_id == new.id
    assert [r.id for r in old.reports] == [first.report.id]
    split = old.events[-1]
    assert (split.kind, split.actor_account_id) == ("split", coordinator.id)
    assert details(split) == {
        "report_id": second.report.id,
        "to_case": new.reference,
        "reason": "lain rumah",
    }
    assert kinds(new) == ["opened", "routed"]
    assert details(new.events[0])["split_from"] == old.reference
    assert handoffs.of("routed")[-1] == (new.id, ["DP3A-7210"])
    with pytest.raises(ValueError, match="only report"):
        split_report(db.session, second.report, clock.now(), coordinator)


def test_deployment_comes_from_app_config(app):
    assert Deployment.from_config(app.config) == Deployment("72", "Asia/Makassar")
    assert operations.DEFAULT_DEPLOYMENT.zone == "Asia/Makassar"
