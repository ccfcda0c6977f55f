"""The weekly summary: figures for the coordination meeting, and one SMS to coordinators."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from alerts.messages import sms_units
from alerts.summary import send_weekly_summary, week_before, weekly_figures
from core import clock
from core.db import db
from models import Outbox, Purpose

WITA = ZoneInfo("Asia/Makassar")


def wita(*args: int) -> datetime:
    return datetime(*args, tzinfo=WITA)


def test_week_before_is_the_last_whole_local_week() -> None:
    monday_7am = wita(2026, 11, 30, 7, 0)
    assert week_before(monday_7am, WITA) == (wita(2026, 11, 23), wita(2026, 11, 30))


def test_figures(make_case, demo) -> None:
    team = demo.teams["UPTD-PPA-72"]
    start = wita(2026, 11, 23)
    opened = start + timedelta(days=1)
    waits = [10, 20, 90]  # minutes to acknowledgement; the third is past its 60-minute deadline
    for minutes in waits:
        case = make_case(team.agency, "tinggi", opened_at=opened, ack_in=timedelta(hours=1))
        case.acknowledged_at = opened + timedelta(minutes=minutes)
    make_case(team.agency, "darurat", category="tppo", region="72.71", opened_at=opened)
    make_case(
        team.agency,
        "biasa",
        opened_at=start + timedelta(days=6, hours=23),
        ack_in=timedelta(days=2),
    )
    make_case(team.agency, opened_at=start - timedelta(minutes=1))  # the week before
    figures = weekly_figures(db.session, start, start + timedelta(days=7))
    assert figures["cases"] == 5
    assert figures["by_category"] == {"kdrt": 4, "tppo": 1}
    assert figures["by_regency"] == [
        {"code": "72.10", "name": "Kab. Sigi", "cases": 4},
        {"code": "72.71", "name": "Kota Palu", "cases": 1},
    ]
    assert (figures["acknowledged"], figures["unacknowledged"]) == (3, 2)
    assert (figures["ack_minutes_median"], figures["ack_minutes_worst"]) == (20, 90)
    # Late: the 90-minute one, and the darurat nobody acknowledged; the biasa is not yet due.
    assert figures["deadlines_missed"] == 2


def test_summary_goes_to_coordinators_once_in_one_sms(make_case, demo) -> None:
    team = demo.teams["UPTD-PPA-72"]
    for category in ("kdrt", "tppo", "kekerasan_seksual", "perkawinan_anak", "kekerasan_anak"):
        make_case(team.agency, category=category, opened_at=wita(2026, 11, 24, 9))
    monday = wita(2026, 11, 30, 7, 0)
    clock.freeze(monday)
    assert send_weekly_summary(db.session, monday, WITA) == 1
    assert send_weekly_summary(db.session, monday, WITA) == 1  # same key: still one message
    (row,) = db.session.scalars(select(Outbox)).all()
    assert (row.purpose, row.account_id) == (Purpose.SUMMARY, demo.coordinator.id)
    assert row.body.startswith("SIGAP minggu 23/11-29/11: 5 kasus (")
    assert sms_units(row.body) <= 160
