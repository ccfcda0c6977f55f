"""A small world of personal data, made the way production makes it: through the webhook."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from cases import add_note, change_status, seed_default_rules
from core import clock
from core.crypto import lookup_hash
from core.db import db
from core.demo import seed_demo
from models import Account, Case, Role
from tests.signing import Phone, Poster, run_worker
from webhooks import spool

#: A Tuesday, 09:00 WITA.
T0 = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
REPORTER = "+6280800007001"
WA_REPORTER = "+6280800007002"
ADMIN_PHONE = "+6280800007009"
PROFILE = "Ibu Sari Contoh"
NOTE = "korban bernama Wati Contoh, tinggal di rumah kakaknya"
REASON = "pelapor Wati Contoh minta kasus dialihkan"
SPOOLED_TEXT = "tolong adik sy dibawa calo ke Malaysia"


@dataclass
class World:
    """What the fixture made: the SMS case, the WhatsApp reporter's dialog, an admin, a file."""

    case: Case
    admin: Account
    staff: Account
    spool_file: Path


def whatsapp(poster: Poster, number: str, text: str, sid: str) -> None:
    """Send a WhatsApp message with a profile name, as Twilio posts it."""
    form = {
        "MessageSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": f"whatsapp:{number}",
        "To": "whatsapp:+12025550100",
        "Body": text,
        "NumMedia": "0",
        "ProfileName": PROFILE,
    }
    assert poster.post("/webhooks/twilio/whatsapp", form).status_code == 200
    run_worker()


def sms_form(sid: str, text: str, number: str = "+6280800007003") -> dict[str, str]:
    """An inbound SMS as Twilio posts it."""
    return {
        "MessageSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": number,
        "To": "+12025550100",
        "Body": text,
        "NumMedia": "0",
    }


@pytest.fixture
def spool_dir(app: Flask, tmp_path: Path) -> Path:
    app.config["SPOOL_DIR"] = tmp_path / "spool"
    return tmp_path / "spool"


@pytest.fixture
def world(app: Flask, poster: Poster, spool_dir: Path) -> World:
    """Seed agencies, take an SMS report to a case, a WhatsApp report, a note, a spool file."""
    seed_demo(db.session)
    seed_default_rules(db.session)
    admin = Account(
        role=Role.ADMIN, name="Admin Contoh", phone=ADMIN_PHONE, phone_hash=lookup_hash(ADMIN_PHONE)
    )
    db.session.add(admin)
    db.session.commit()
    clock.freeze(T0)
    Phone(poster, REPORTER).say("tolong tetangga sy di desa Sidera dipukuli suaminya sekarang")
    whatsapp(poster, WA_REPORTER, "ada anak dipukuli", "SM" + "7" * 32)
    case = db.session.scalars(select(Case).order_by(Case.id)).first()
    assert case is not None
    staff = db.session.scalars(
        select(Account).where(Account.role == Role.STAFF).order_by(Account.id)
    ).first()
    add_note(db.session, case, NOTE, clock.now(), staff)
    change_status(db.session, case, "ditolak", clock.now(), staff, reason=REASON)
    db.session.commit()
    path = spool.write(spool_dir, "sms", sms_form("SM" + "8" * 32, SPOOLED_TEXT), clock.now())
    return World(case, admin, staff, path)
