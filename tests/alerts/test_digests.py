"""Digests: biasa cases go to each agency's on-call officer at 07:30 and 13:00 WITA."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from alerts import notify
from alerts.digests import digest_text, last_digest_at, next_digest_at, send_digests
from alerts.messages import sms_units
from core import clock
from core.db import db
from models import Outbox, Purpose

WITA = ZoneInfo("Asia/Makassar")


def wita(*args: int) -> datetime:
    return datetime(*args, tzinfo=WITA)


def test_digest_moments_are_local() -> None:
    assert next_digest_at(wita(2026, 11, 25, 7, 29), WITA) == wita(2026, 11, 25, 7, 30)
    assert next_digest_at(wita(2026, 11, 25, 7, 30), WITA) == wita(2026, 11, 25, 13, 0)
    assert next_digest_at(wita(2026, 11, 25, 22, 0), WITA) == wita(2026, 11, 26, 7, 30)
    assert last_digest_at(wita(2026, 11, 25, 7, 0), WITA) == wita(2026, 11, 24, 13, 0)
    assert last_digest_at(wita(2026, 11, 25, 13, 0), WITA) == wita(2026, 11, 25, 13, 0)


def test_one_digest_per_agency_with_count_references_and_places(make_case, demo, frozen) -> None:
    uptd, polres = demo.teams["UPTD-PPA-72"], demo.teams["POLRES-SIGI-PPA"]
    cases = [make_case(uptd.agency, "biasa", ack_in=timedelta(days=3)) for _ in range(3)]
    other = make_case(polres.agency, "biasa", category="tppo", region="72.71")
    acked = make_case(uptd.agency, "biasa")
    for case, team in [*((c, uptd) for c in cases), (other, polres), (acked, uptd)]:
        notify.case_routed(db.session, case, [team.agency], clock.now())
    acked.acknowledged_at = clock.now()
    db.session.commit()
    assert send_digests(db.session, clock.now(), WITA) == 0  # 10:00: nothing due until 13:00
    at = wita(2026, 11, 25, 13, 0)
    assert send_digests(db.session, at, WITA) == 2
    assert send_digests(db.session, at, WITA) == 0  # what was sent is not due again
    digests = {r.account_id: r for r in db.session.scalars(select(Outbox))}
    assert set(digests) == {uptd.primary.id, polres.primary.id}
    mine = digests[uptd.primary.id].body
    assert mine.startswith("SIGAP ringkasan 13:00 WITA: 3 kasus BIASA")
    assert all(c.reference in mine for c in cases)
    assert acked.reference not in mine
    assert "Sidera" in mine
    assert "KDRT" in mine
    assert "TPPO Kota Palu" in digests[polres.primary.id].body
    assert digests[uptd.primary.id].purpose == Purpose.DIGEST


def test_a_long_digest_counts_what_does_not_fit(make_case, demo, frozen) -> None:
    team = demo.teams["UPTD-PPA-72"]
    cases = [make_case(team.agency, "biasa", category="kekerasan_seksual") for _ in range(20)]
    text = digest_text(db.session, cases, wita(2026, 11, 25, 7, 30), WITA)
    assert sms_units(text) <= 160
    assert "20 kasus" in text
    assert text.endswith("lainnya")
    shown = sum(c.reference in text for c in cases)
    assert 1 <= shown < 20
    assert f"+{20 - shown} lainnya" in text
