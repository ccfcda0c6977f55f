"""Texts for staff: one SMS segment, and never a name, a number or what was reported."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import select

from alerts import digests, escalation, notify, summary
from alerts.messages import alert_text, duration, places, sms_units
from alerts.outbox import drain
from core import clock
from core.db import db
from models import Account, Outbox
from tests.alerts.conftest import REPORT_TEXT, REPORTER_PHONE, FakeProvider

WITA = ZoneInfo("Asia/Makassar")
CATEGORIES = ("kdrt", "kekerasan_seksual", "kekerasan_anak", "tppo", "perkawinan_anak", "lainnya")


def test_sms_units() -> None:
    assert sms_units("SIGAP DARURAT") == 13
    assert sms_units("{x}") == 5  # extension characters count twice
    # One curly quote makes the text UCS-2, 70 characters a segment.
    assert sms_units("’" + "a" * 69) <= 160
    assert sms_units("’" + "a" * 70) > 160


def test_places_come_from_the_gazetteer(app: Flask) -> None:
    assert places(db.session, "72.10.01.2007") == ["Sidera, Kab. Sigi", "Sidera"]
    assert places(db.session, "72.71") == ["Kota Palu"]
    assert places(db.session, "72") == ["Sulawesi Tengah"]


def test_durations() -> None:
    assert duration(timedelta(minutes=45)) == "45 mnt"
    assert duration(timedelta(minutes=185)) == "3 j 5 mnt"
    assert duration(None) == "-"


def test_every_alert_fits_one_segment_even_in_the_longest_place(make_case, demo, frozen) -> None:
    village = "72.07.09.2020"  # Pipilogot Paipaisu, Kab. Banggai Kepulauan: the longest
    team = demo.teams["UPTD-PPA-72"]
    for category in CATEGORIES:
        case = make_case(team.agency, "darurat", category=category, region=village)
        for key, level in (("alert.new", 0), ("alert.reminder", 1), ("alert.escalation", 8)):
            text = alert_text(db.session, case, key, WITA, level)
            assert sms_units(text) <= 160, text
            assert case.reference in text
            assert "WITA" in text


def test_no_text_carries_a_name_a_number_or_the_report(app: Flask, make_case, demo, frozen) -> None:
    """Route, escalate, fail, acknowledge, digest and summarise; then read every text."""
    app.config.update(
        TWILIO_WHATSAPP_FROM="whatsapp:+6280800000001",
        SIGAP_WA_ALERT_CONTENT_SID="HX0000000000000000000000000000a1e7",
    )
    team = demo.teams["UPTD-PPA-72"]
    urgent = make_case(team.agency, "darurat", category="kekerasan_seksual")
    calm = make_case(team.agency, "biasa")
    notify.case_routed(db.session, urgent, [team.agency], clock.now())
    notify.case_routed(db.session, calm, [team.agency], clock.now())
    for _ in range(6):
        clock.advance(timedelta(minutes=20))
        escalation.escalate(db.session, clock.now(), WITA)
    urgent.acknowledged_at = clock.now()
    notify.case_acknowledged(db.session, urgent, team.backup, clock.now())
    digests.send_digests(db.session, clock.now() + timedelta(days=1), WITA)
    summary.send_weekly_summary(db.session, clock.now() + timedelta(days=7), WITA)
    db.session.commit()
    drain(clock.now(), FakeProvider(script=[]), "w1")  # (nothing fails here; see test_outbox)
    texts = [f"{r.body} {r.content_variables or ''}" for r in db.session.scalars(select(Outbox))]
    assert len(texts) > 10
    people = [a.name for a in db.session.scalars(select(Account))]
    forbidden = [REPORTER_PHONE, REPORTER_PHONE[1:], REPORT_TEXT, "Siti", "Budi", *people]
    for text in texts:
        assert not [f for f in forbidden if f.lower() in text.lower()], text
        assert not re.search(r"\d{7,}", text), text  # no phone number in any form
