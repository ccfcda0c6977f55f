"""A darurat SMS in, `jobs run-due`, and Twilio's spec mock receives the officer's alert."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from alerts.rosters import on_call
from channels import twilio_send
from core import clock
from core.db import db
from models import Agency, CaseAgency, Outbox, Purpose
from tests.signing import Phone

ACCOUNT = "AC0000000000000000000000000000a1e7"
MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"


@pytest.fixture
def recorded(monkeypatch):
    """What the real twilio client sent: the To of each Messages request."""
    sent: list[str] = []
    original = twilio_send._TwilioTransport.request

    def request(self, method, url, *args, **kwargs):
        if method == "POST" and url.endswith("/Messages.json"):
            sent.append((kwargs.get("data") or {}).get("To"))
        return original(self, method, url, *args, **kwargs)

    monkeypatch.setattr(twilio_send._TwilioTransport, "request", request)
    return sent


@pytest.mark.slow
def test_darurat_sms_reaches_the_on_call_officer_through_the_mock(
    app, poster, runner, twilio_mock, recorded
):
    from alerts.rosters import seed_demo_rosters
    from cases import seed_default_rules
    from core.demo import seed_demo

    seed_demo(db.session)
    seed_default_rules(db.session)
    seed_demo_rosters(db.session)
    db.session.commit()
    reply = Phone(poster, "+6280800000501").say(
        "Tolong!! ibu di sebelah rumah sy di desa Kotarindau sedang dipukuli suaminya pakai kayu"
    )
    assert reply
    app.config.update(
        TWILIO_ACCOUNT_SID=ACCOUNT,
        TWILIO_SMS_FROM="+12025550100",
        TWILIO_API_BASE_URL=twilio_mock.base_url,
        PUBLIC_BASE_URL="https://sigap.example.org",  # where status callbacks are sent
        SIGAP_PROVIDER="twilio",
    )
    mark = twilio_mock.mark()
    result = runner.invoke(args=["jobs", "run-due", "--now", clock.now().isoformat()])
    assert result.exit_code == 0, result.output

    alerts = db.session.scalars(select(Outbox).where(Outbox.purpose == Purpose.ALERT)).all()
    assert alerts
    officers = set()
    for link in db.session.scalars(select(CaseAgency)):
        agency = db.session.get(Agency, link.agency_id)
        officers.add(on_call(db.session, agency.id, clock.now(), _tz()).primary.phone)
    assert set(recorded) == officers  # every agency's on-call officer, nobody else
    assert twilio_mock.requests_to(MESSAGES, since=mark) == len(recorded)
    assert twilio_mock.rejected_count(since=mark) == 0


def _tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Makassar")
