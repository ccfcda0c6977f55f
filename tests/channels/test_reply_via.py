"""A reply leaves by the provider, so by the number, its reporter wrote to: with both Twilio
and an SMSGate phone sending SMS, each reporter is answered from the number they texted."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from core import clock
from core.db import db
from models import Outbox, OutboxStatus, Purpose
from tests.signing import Phone, Poster, run_worker
from tests.smsgate import TEST_SIGNING_KEY, load_event, post_event
from tests.twilio_mock import TwilioMock

pytestmark = pytest.mark.slow

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
ACCOUNT = "AC0000000000000000000000000000a1e7"
MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"


def reply_rows() -> list[Outbox]:
    db.session.expire_all()
    query = select(Outbox).where(Outbox.purpose == Purpose.REPLY).order_by(Outbox.id)
    return list(db.session.scalars(query))


def test_each_reporter_is_answered_from_the_number_they_texted(
    app: Flask,
    client: FlaskClient,
    poster: Poster,
    twilio_mock: TwilioMock,
    smsgate_mock: TwilioMock,
) -> None:
    clock.freeze(T0)
    app.config.update(
        SIGAP_PROVIDER=None,  # the providers configured: SMSGate sends SMS by default
        TWILIO_ACCOUNT_SID=ACCOUNT,
        TWILIO_SMS_FROM="+12025550100",
        TWILIO_API_BASE_URL=twilio_mock.base_url,
        SMSGATE_SIGNING_KEY=TEST_SIGNING_KEY,
        SMSGATE_API_URL=smsgate_mock.base_url,
        SMSGATE_USERNAME="sigap",
        SMSGATE_PASSWORD="pw",
    )
    twilio_mark, gate_mark = twilio_mock.mark(), smsgate_mock.mark()

    assert Phone(poster, "+447700900123").say("help")  # texted the Twilio number
    (first,) = reply_rows()
    assert (first.via, first.status) == ("twilio", OutboxStatus.SENT)
    assert twilio_mock.requests_to(MESSAGES, since=twilio_mark) == 1
    assert smsgate_mock.requests_to("post /messages", since=gate_mark) == 0

    texted_the_phone = load_event("sms_received.json", payload={"message": "bantuan"})
    assert post_event(client, texted_the_phone).status_code == 204
    run_worker()
    _, second = reply_rows()
    assert (second.via, second.status) == ("smsgate", OutboxStatus.SENT)
    assert smsgate_mock.requests_to("post /messages", since=gate_mark) == 1
    assert twilio_mock.requests_to(MESSAGES, since=twilio_mark) == 1
    assert twilio_mock.rejected_count(since=twilio_mark) == 0
    assert smsgate_mock.rejected_count(since=gate_mark) == 0
