"""Acknowledgement deadlines per priority, in working days where the table says so."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from cases import deadlines
from cases.deadlines import ack_due, add_working_days, police_report_due

WITA = timezone(timedelta(hours=8))


def wita(*args: int) -> datetime:
    return datetime(*args, tzinfo=WITA)


def test_darurat_has_15_minutes_and_tinggi_6_hours():
    opened = wita(2026, 3, 13, 23, 50)  # a Friday night: clock time, not working time
    assert ack_due("darurat", opened) == opened + timedelta(minutes=15)
    assert ack_due("tinggi", opened) == opened + timedelta(hours=6)


@pytest.mark.parametrize(
    ("opened", "due"),
    [
        (wita(2026, 3, 10, 9, 0), wita(2026, 3, 13, 9, 0)),  # Tuesday -> Friday
        (wita(2026, 3, 13, 10, 0), wita(2026, 3, 18, 10, 0)),  # Friday -> Wednesday
        (wita(2026, 3, 12, 16, 30), wita(2026, 3, 17, 16, 30)),  # Thursday -> Tuesday
        (wita(2026, 3, 14, 10, 0), wita(2026, 3, 19, 0, 0)),  # Saturday: from Monday 00:00
        (wita(2026, 3, 15, 23, 59), wita(2026, 3, 19, 0, 0)),  # Sunday night: the same
    ],
)
def test_biasa_has_three_working_days_across_the_weekend(opened, due):
    got = ack_due("biasa", opened.astimezone(UTC))
    assert got == due
    assert got.tzinfo == UTC  # stored as UTC, counted in WITA


def test_working_days_are_counted_in_local_time_not_utc():
    # 23:30 UTC on Friday is already Saturday 07:30 in Palu.
    friday_utc = datetime(2026, 3, 13, 23, 30, tzinfo=UTC)
    assert add_working_days(friday_utc, 1, WITA) == wita(2026, 3, 17, 0, 0)


def test_sexual_violence_must_reach_the_police_within_72_hours():
    opened = wita(2026, 3, 10, 9, 0)
    assert police_report_due("kekerasan_seksual", opened) == opened + timedelta(hours=72)
    assert police_report_due("kdrt", opened) is None


def test_the_table_is_the_one_place_to_change(monkeypatch):
    monkeypatch.setitem(deadlines.ACK_WITHIN, "tinggi", deadlines.Within(span=timedelta(hours=2)))
    opened = wita(2026, 3, 10, 9, 0)
    assert ack_due("tinggi", opened) == opened + timedelta(hours=2)


def test_wita_is_known_without_tzdata(monkeypatch):
    def missing(name):
        raise deadlines.ZoneInfoNotFoundError(name)

    monkeypatch.setattr(deadlines, "ZoneInfo", missing)
    assert deadlines.zone("Asia/Makassar").utcoffset(None) == timedelta(hours=8)
    with pytest.raises(deadlines.ZoneInfoNotFoundError):
        deadlines.zone("Asia/Jakarta")
