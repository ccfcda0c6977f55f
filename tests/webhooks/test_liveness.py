"""The liveness alarm: a message left waiting for a worker over two minutes tells admins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core import clock
from core.crypto import lookup_hash
from core.db import db
from core.i18n import t
from models import Account, Outbox, Purpose, Role
from tests.signing import load_form, run_worker
from webhooks.jobs import check_worker

T0 = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
ADMIN_PHONE = "+6280800007019"


def _admin_alerts() -> list[str]:
    return list(db.session.scalars(select(Outbox.body).where(Outbox.purpose == Purpose.ADMIN)))


def test_a_message_waiting_over_two_minutes_alerts_admins_once_then_hourly(app, poster):
    db.session.add(
        Account(
            role=Role.ADMIN, name="Admin", phone=ADMIN_PHONE, phone_hash=lookup_hash(ADMIN_PHONE)
        )
    )
    db.session.commit()
    clock.freeze(T0)
    poster.post("/webhooks/twilio/sms", load_form("sms_plain.txt"))  # no worker runs

    assert check_worker(T0 + timedelta(minutes=2)) == "worker keeping up"
    assert _admin_alerts() == []
    check_worker(T0 + timedelta(minutes=3))
    assert _admin_alerts() == [t("alert.admin.worker_behind", minutes=3)]
    check_worker(T0 + timedelta(minutes=4))
    check_worker(T0 + timedelta(minutes=59))
    assert len(_admin_alerts()) == 1  # one alert, not one a minute
    check_worker(T0 + timedelta(minutes=61))
    assert len(_admin_alerts()) == 2  # and again the next hour while it lasts

    run_worker()
    assert check_worker(T0 + timedelta(minutes=62)) == "worker keeping up"
    check_worker(T0 + timedelta(minutes=125))
    assert len(_admin_alerts()) == 2


def test_the_alarm_is_a_scheduled_job(app):
    from core.jobs import registered

    assert "worker.liveness" in {job.name for job in registered()}
