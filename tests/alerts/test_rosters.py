"""Rosters: who is on call at a moment, across midnight, with overrides."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from alerts.rosters import (
    add_override,
    covers,
    on_call,
    parse_clock,
    parse_weekdays,
    seed_demo_rosters,
    set_slots,
)
from core.db import db
from models import RosterRole, RosterSlot

WITA = ZoneInfo("Asia/Makassar")


def wita(*args: int) -> datetime:
    return datetime(*args, tzinfo=WITA)


def test_parse_weekdays_and_clock() -> None:
    assert parse_weekdays("mon-fri") == [0, 1, 2, 3, 4]
    assert parse_weekdays("sat,sun") == [5, 6]
    assert parse_weekdays("fri-mon") == [0, 4, 5, 6]
    assert parse_weekdays("all") == list(range(7))
    assert parse_clock("08:00") == time(8)
    assert parse_clock("24:00") == time(0)
    for bad in ("funday", "mon-xyz"):
        with pytest.raises(ValueError, match="weekday"):
            parse_weekdays(bad)
    for bad in ("8", "24:30", "25:00", "12:60"):
        with pytest.raises(ValueError, match="time of day"):
            parse_clock(bad)


def test_slot_across_midnight_belongs_to_the_day_it_starts() -> None:
    friday_night = (4, time(22), time(6))
    assert covers(*friday_night, wita(2026, 11, 27, 23, 0))  # Friday 23:00
    assert covers(*friday_night, wita(2026, 11, 28, 5, 59))  # Saturday 05:59
    assert not covers(*friday_night, wita(2026, 11, 28, 6, 0))
    assert not covers(*friday_night, wita(2026, 11, 27, 5, 0))  # Friday early morning
    whole_day = (2, time(0), time(0))
    assert covers(*whole_day, wita(2026, 11, 25, 0, 0))
    assert covers(*whole_day, wita(2026, 11, 25, 23, 59))
    assert not covers(*whole_day, wita(2026, 11, 26, 0, 0))


def test_on_call_follows_the_pattern_in_local_time(demo) -> None:
    team = demo.teams["UPTD-PPA-72"]
    db.session.execute(RosterSlot.__table__.delete())
    weekdays, nights = parse_weekdays("mon-fri"), parse_weekdays("all")
    set_slots(
        db.session, team.agency, weekdays, time(8), time(16), team.primary, RosterRole.PRIMARY
    )
    set_slots(db.session, team.agency, nights, time(16), time(8), team.backup, RosterRole.PRIMARY)
    set_slots(
        db.session, team.agency, nights, time(0), time(0), team.supervisor, RosterRole.SUPERVISOR
    )
    # Wednesday 09:00 WITA is 01:00 UTC: the day shift, though UTC says it is still night.
    who = on_call(db.session, team.agency.id, datetime(2026, 11, 25, 1, 0, tzinfo=UTC), WITA)
    assert (who.primary, who.backup, who.supervisor) == (team.primary, None, team.supervisor)
    assert (
        on_call(db.session, team.agency.id, wita(2026, 11, 25, 16, 0), WITA).primary == team.backup
    )
    assert (
        on_call(db.session, team.agency.id, wita(2026, 11, 26, 7, 59), WITA).primary == team.backup
    )
    # Saturday day: no day shift, and the night slot of Friday ended at 08:00.
    saturday = on_call(db.session, team.agency.id, wita(2026, 11, 28, 9, 0), WITA)
    assert saturday.primary is None
    assert saturday.first() == team.supervisor


def test_setting_a_slot_replaces_the_overlapping_ones(demo) -> None:
    team = demo.teams["UPTD-PPA-72"]
    added, replaced = set_slots(
        db.session,
        team.agency,
        parse_weekdays("mon-fri"),
        time(8),
        time(16),
        team.backup,
        RosterRole.PRIMARY,
    )
    assert (added, replaced) == (5, 5)  # the demo's 24/7 slots on those days
    assert (
        on_call(db.session, team.agency.id, wita(2026, 11, 25, 9, 0), WITA).primary == team.backup
    )
    assert on_call(db.session, team.agency.id, wita(2026, 11, 25, 20, 0), WITA).primary is None
    assert (
        on_call(db.session, team.agency.id, wita(2026, 11, 28, 20, 0), WITA).primary == team.primary
    )


def test_override_replaces_the_pattern_for_its_role_and_days(demo) -> None:
    team = demo.teams["UPTD-PPA-72"]
    add_override(
        db.session,
        team.agency,
        date(2026, 12, 1),
        date(2026, 12, 2),
        team.supervisor,
        RosterRole.PRIMARY,
    )
    inside = on_call(db.session, team.agency.id, wita(2026, 12, 2, 23, 59), WITA)
    assert (inside.primary, inside.backup) == (team.supervisor, team.backup)
    after = on_call(db.session, team.agency.id, wita(2026, 12, 3, 0, 0), WITA)
    assert after.primary == team.primary
    with pytest.raises(ValueError, match="ends before"):
        add_override(
            db.session,
            team.agency,
            date(2026, 12, 2),
            date(2026, 12, 1),
            team.backup,
            RosterRole.BACKUP,
        )


def test_inactive_people_are_never_on_call(demo) -> None:
    team = demo.teams["UPTD-PPA-72"]
    team.primary.is_active = False
    db.session.flush()
    who = on_call(db.session, team.agency.id, wita(2026, 11, 25, 9, 0), WITA)
    assert who.primary is None
    assert who.first() == team.backup


def test_demo_rosters_cover_every_agency_around_the_clock_once(demo) -> None:
    assert seed_demo_rosters(db.session) == 0  # already seeded by the fixture: nothing added
    for team in demo.teams.values():
        for moment in (wita(2026, 11, 25, 3, 0), wita(2026, 11, 29, 23, 30)):
            who = on_call(db.session, team.agency.id, moment, WITA)
            assert (who.primary, who.backup, who.supervisor) == (
                team.primary,
                team.backup,
                team.supervisor,
            )
