"""Follow-up tasks reminded when due and listed in digests; cluster alerts to coordinators."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from cases import jobs, tasks
from core import clock
from core.db import db
from models import FollowUpTask, Outbox, Purpose
from tests.casework.conftest import BORA, MOENGKO, SIDERA, T0, coordinator, outbox_to


def _agency_of(case):
    from models import Agency

    return db.session.get(Agency, case.agencies[0].agency_id)


def test_a_task_is_reminded_once_when_due_and_listed_in_the_digest(file_case):
    case = file_case(category="kdrt", victim="perempuan", text="suami pukul")
    agency = _agency_of(case)
    task = tasks.add_task(
        db.session, case, agency, "kunjungan rumah", T0 + timedelta(days=1), None, T0
    )
    db.session.commit()
    assert jobs.task_reminders(T0 + timedelta(hours=23)) == "0 tasks reminded"
    assert jobs.task_reminders(T0 + timedelta(days=1)) == "1 tasks reminded"
    assert jobs.task_reminders(T0 + timedelta(days=1, minutes=5)) == "0 tasks reminded"
    reminders = [
        r for r in db.session.scalars(select(Outbox)) if r.idempotency_key.startswith("task:")
    ]
    assert len(reminders) == 1
    assert case.reference in reminders[0].body
    assert "kunjungan" not in reminders[0].body  # staff wrote it; SMS carries the reference only
    # The digest at 07:30 WITA the next day lists the open task.
    digest_at = datetime(2026, 3, 11, 23, 30, tzinfo=UTC)  # 07:30 WITA on the 12th
    assert jobs.task_digests(digest_at) == "1 task digests"
    (digest,) = [r for r in db.session.scalars(select(Outbox)) if r.purpose == Purpose.DIGEST]
    assert case.reference in digest.body
    tasks.complete(db.session, case, db.session.get(FollowUpTask, task.id), None, digest_at)
    db.session.commit()
    assert jobs.task_digests(digest_at + timedelta(hours=6)) == "0 task digests"


def test_a_task_done_before_it_is_due_is_never_reminded(file_case):
    case = file_case(category="kdrt", victim="perempuan", text="suami pukul")
    task = tasks.add_task(
        db.session, case, _agency_of(case), "cek anak", T0 + timedelta(hours=2), None, T0
    )
    tasks.complete(db.session, case, task, None, T0 + timedelta(hours=1))
    db.session.commit()
    assert jobs.task_reminders(T0 + timedelta(hours=3)) == "0 tasks reminded"


def _tppo(file_case, n: int, region: str):
    clock.advance(timedelta(days=1))  # a day apart: separate incidents, not one joined case
    return file_case(
        n, category="tppo", victim="perempuan", text="dijanjikan kerja", region_code=region
    )


def test_the_third_tppo_report_in_a_district_within_14_days_alerts_once(file_case, agencies):
    boss = coordinator()
    first = _tppo(file_case, 1, SIDERA)
    _tppo(file_case, 2, MOENGKO)  # another district: does not count
    second = _tppo(file_case, 3, BORA)
    assert jobs.cluster_alerts(clock.now()) == "0 clusters"
    _tppo(file_case, 4, MOENGKO)
    assert jobs.cluster_alerts(clock.now()) == "0 clusters"
    third = _tppo(file_case, 5, SIDERA)
    assert jobs.cluster_alerts(clock.now()) == "1 clusters"
    (alert,) = outbox_to(boss, "cluster:")
    for case in (first, second, third):
        assert case.reference in alert.body
    assert "dijanjikan" not in alert.body  # references, never texts
    _tppo(file_case, 6, BORA)
    assert jobs.cluster_alerts(clock.now()) == "0 clusters"
    assert len(outbox_to(boss, "cluster:")) == 1


def test_reports_spread_wider_than_the_window_make_no_cluster(file_case, agencies):
    for n in range(3):
        clock.advance(timedelta(days=8))
        file_case(n, category="tppo", victim="perempuan", text="x", region_code=SIDERA)
    assert jobs.cluster_alerts(clock.now()) == "0 clusters"
