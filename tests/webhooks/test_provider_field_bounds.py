"""Signed Twilio webhooks with fields no database column holds: 400, and nothing changes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from alerts.outbox import enqueue
from core import clock
from core.db import db
from models import InboundMessage, Outbox, OutboxStatus, Purpose
from tests.signing import load_form

SID = "SM00000000000000000000000000000042"


@pytest.fixture
def sent(app) -> int:
    """An SMS the outbox has sent, waiting for its delivery report."""
    row_id = enqueue(
        db.session,
        key="status-numbers:1",
        purpose=Purpose.REPLY,
        to="+447700900123",
        channel="sms",
        body="halo",
        now=clock.now(),
    )
    row = db.session.get(Outbox, row_id)
    row.status, row.provider_message_id = OutboxStatus.SENT, SID
    db.session.commit()
    return row_id


def callback(error_code: str) -> dict[str, str]:
    return {
        "MessageSid": SID,
        "MessageStatus": "undelivered",
        "ErrorCode": error_code,
        "AccountSid": "AC00000000000000000000000000000000",
    }


@pytest.mark.parametrize(
    "error_code",
    [str(2**63), str(2**64), "9" * 5000, str(2**31), str(-(2**63) - 1)],
    ids=["2^63", "2^64", "5000 digits", "2^31", "-2^63-1"],
)
def test_an_error_code_past_the_column_is_400_and_changes_nothing(poster, sent, error_code):
    response = poster.post("/webhooks/twilio/status", callback(error_code))
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_field"
    db.session.expire_all()
    row = db.session.get(Outbox, sent)
    assert (row.status, row.error_code) == (OutboxStatus.SENT, None)


def test_a_real_error_code_is_kept(poster, sent):
    response = poster.post("/webhooks/twilio/status", callback("30008"))
    assert response.status_code == 204
    db.session.expire_all()
    row = db.session.get(Outbox, sent)
    assert (row.status, row.error_code) == (OutboxStatus.UNDELIVERED, 30008)


@pytest.mark.parametrize("value", [2**63, "9" * 5000, float("inf"), -(2**40)])
def test_a_rest_error_code_past_the_column_is_dropped(value):
    from channels.twilio_send import _twilio_code

    assert _twilio_code(value, 400) is None
    assert _twilio_code(21211, 400) == 21211


@pytest.mark.parametrize("route", ["sms", "whatsapp"])
def test_a_message_sid_wider_than_its_column_is_400_and_nothing_is_kept(
    app, poster, tmp_path, route
):
    app.config["SPOOL_DIR"] = str(tmp_path)
    form = load_form("sms_plain.txt") | {"MessageSid": "SM" + "a" * 100}
    response = poster.post(f"/webhooks/twilio/{route}", form)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_field"
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 0
    assert list(tmp_path.iterdir()) == []  # not spooled either: it would never replay


def test_a_status_callback_sid_wider_than_its_column_is_400(poster, sent):
    form = callback("30008") | {"MessageSid": "SM" + "a" * 100}
    assert poster.post("/webhooks/twilio/status", form).status_code == 400
