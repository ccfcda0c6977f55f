"""The alerts jobs on the schedule, run by `jobs run-due`, against Twilio's spec mock too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from alerts import notify
from alerts.schedule import register_jobs
from core import clock, jobs
from core.db import db
from models import Outbox, OutboxStatus, Purpose
from tests.twilio_mock import TwilioMock

ACCOUNT = "AC0000000000000000000000000000a1e7"
MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"


def due(now: datetime) -> set[str]:
    return {j.name for j in jobs.registered() if jobs.latest_due(j, now, lookback=j.grace)}


def test_jobs_and_their_moments_in_local_time(app: Flask) -> None:
    names = {j.name for j in register_jobs("Asia/Makassar")}
    assert names == {"outbox.drain", "alerts.escalate", "alerts.digest", "alerts.weekly_summary"}
    tuesday_0730_wita = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)  # Wednesday 07:30 WITA
    assert "alerts.digest" in due(tuesday_0730_wita)
    assert "alerts.digest" not in due(tuesday_0730_wita + timedelta(hours=3))
    assert "alerts.digest" in due(datetime(2026, 11, 25, 5, 0, tzinfo=UTC))  # 13:00 WITA
    monday_0700_wita = datetime(2026, 11, 29, 23, 0, tzinfo=UTC)
    assert "alerts.weekly_summary" in due(monday_0700_wita)
    assert "alerts.weekly_summary" not in due(monday_0700_wita + timedelta(days=1))


def test_run_due_alerts_and_sends(
    app: Flask, runner: FlaskCliRunner, make_case, demo, frozen
) -> None:
    team = demo.teams["UPTD-PPA-72"]
    case = make_case(team.agency, "darurat")
    notify.case_routed(db.session, case, [team.agency], clock.now())
    db.session.commit()
    result = runner.invoke(args=["jobs", "run-due", "--now", "2026-11-25T10:00:05+08:00"])
    assert result.exit_code == 0, result.output
    assert "outbox.drain: claimed 1, sent 1" in result.output
    assert "alerts.escalate: escalated 0" in result.output
    again = runner.invoke(args=["jobs", "run-due", "--now", "2026-11-25T10:00:05+08:00"])
    assert again.output == ""  # each job ran once for that moment


@pytest.mark.slow
@pytest.mark.parametrize("whatsapp", [False, True], ids=["sms", "whatsapp-template"])
def test_alert_reaches_the_twilio_spec_mock(
    app: Flask,
    runner: FlaskCliRunner,
    twilio_mock: TwilioMock,
    make_case,
    demo,
    frozen,
    whatsapp,
) -> None:
    app.config.update(
        TWILIO_ACCOUNT_SID=ACCOUNT,
        TWILIO_AUTH_TOKEN="token",
        TWILIO_SMS_FROM="+12025550100",
        TWILIO_API_BASE_URL=twilio_mock.base_url,
        PUBLIC_BASE_URL="https://sigap.example.org",
        SIGAP_PROVIDER="twilio",
    )
    if whatsapp:
        app.config.update(
            TWILIO_WHATSAPP_FROM="+12025550188",
            SIGAP_WA_ALERT_CONTENT_SID="HX0000000000000000000000000000a1e7",
        )
    team = demo.teams["UPTD-PPA-72"]
    case = make_case(team.agency, "darurat")
    notify.case_routed(db.session, case, [team.agency], clock.now())
    db.session.commit()
    mark = twilio_mock.mark()
    result = runner.invoke(args=["jobs", "run-due", "--now", "2026-11-25T10:00:05+08:00"])
    assert result.exit_code == 0, result.output
    assert twilio_mock.requests_to(MESSAGES, since=mark) == 1
    assert twilio_mock.rejected_count(since=mark) == 0
    db.session.expire_all()
    (row,) = db.session.scalars(select(Outbox)).all()
    assert (row.purpose, row.status) == (Purpose.ALERT, OutboxStatus.SENT)
    assert row.channel == ("whatsapp" if whatsapp else "sms")
    assert row.provider_message_id
