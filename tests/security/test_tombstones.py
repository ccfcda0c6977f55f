"""A signed webhook replayed after retention purged its row is a resend, not a new report."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from core import clock
from core.db import db
from models import Case, InboundMessage, InboundTombstone
from security.jobs import purge_expired
from tests.security.conftest import T0, sms_form
from tests.signing import Poster, run_worker

DARURAT = "tolong ibu di desa Sidera dipukuli suaminya sekarang"
SID = "SM" + "d4" * 16


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_replay_after_retention_opens_nothing(client, world) -> None:
    poster = Poster(client)
    clock.freeze(T0 + timedelta(hours=1))
    first = poster.post("/webhooks/twilio/sms", sms_form(SID, DARURAT, "+6280800007055"))
    assert first.status_code == 200
    run_worker()  # interpreted, so retention may purge it
    cases = count(Case)
    assert cases >= 1
    assert db.session.scalar(
        select(InboundMessage).where(InboundMessage.provider_message_id == SID)
    )

    purge_expired(T0 + timedelta(days=91))
    db.session.expire_all()
    assert (
        db.session.scalar(select(InboundMessage).where(InboundMessage.provider_message_id == SID))
        is None
    )
    assert count(InboundTombstone) >= 1
    # Only a keyed hash is kept: nothing of the id itself.
    assert SID not in {t.key for t in db.session.scalars(select(InboundTombstone))}

    clock.freeze(T0 + timedelta(days=91, hours=1))
    again = poster.post("/webhooks/twilio/sms", sms_form(SID, DARURAT, "+6280800007055"))
    assert again.status_code == 200
    run_worker()
    db.session.expire_all()
    assert count(Case) == cases
    assert (
        db.session.scalar(select(InboundMessage).where(InboundMessage.provider_message_id == SID))
        is None
    )
