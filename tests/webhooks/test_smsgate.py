"""POST /webhooks/smsgate: signed events stored once, statuses applied, heartbeats kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from alerts.outbox import enqueue
from core import clock
from core.db import db
from models import (
    Account,
    GatewayHeartbeat,
    InboundMessage,
    Outbox,
    OutboxStatus,
    Purpose,
    Role,
)
from tests.smsgate import PATH, TEST_SIGNING_KEY, load_event, post_event, signed_headers
from webhooks.gateway_jobs import check_gateways

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


@pytest.fixture
def gate_app(app: Flask) -> Flask:
    app.config["SMSGATE_SIGNING_KEY"] = TEST_SIGNING_KEY
    clock.freeze(T0)
    return app


def stored() -> list[InboundMessage]:
    db.session.expire_all()
    query = select(InboundMessage).where(InboundMessage.provider == "smsgate")
    return list(db.session.scalars(query.order_by(InboundMessage.id)))


def test_a_received_sms_is_stored_for_the_worker(gate_app, client) -> None:
    response = post_event(client, load_event("sms_received.json"))
    assert response.status_code == 204
    (row,) = stored()
    assert (row.provider, row.channel, row.sender) == ("smsgate", "sms", "+6280800000201")
    assert row.provider_message_id == "Ey6ECgOkVVFjz3CL48B8C"


def test_the_same_event_twice_is_stored_once(gate_app, client) -> None:
    event = load_event("sms_received.json")
    assert post_event(client, event).status_code == 204
    assert post_event(client, event).status_code == 204
    assert len(stored()) == 1


def test_two_events_with_the_same_message_id_are_two_messages(gate_app, client) -> None:
    """Two "YA" answers share a content-derived messageId; each is its own message."""
    first = load_event("sms_received.json", payload={"message": "YA", "messageId": "m1"})
    later = load_event(
        "sms_received.json",
        id="Q0cY3vH7pL2sN9xK1tBwE",
        payload={"message": "YA", "messageId": "m1", "receivedAt": "2026-11-25T09:59:30+08:00"},
    )
    post_event(client, first)
    post_event(client, later)
    assert [r.body for r in stored()] == ["YA", "YA"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Timestamp": "1"},
        {"X-Signature": "00"},
    ],
    ids=["none", "timestamp only", "signature only"],
)
def test_unsigned_deliveries_are_refused(gate_app, client, headers) -> None:
    body = json.dumps(load_event("sms_received.json")).encode()
    response = client.post(PATH, data=body, headers=headers)
    assert response.status_code == 403
    assert stored() == []


def test_a_stale_delivery_is_refused(gate_app, client) -> None:
    response = post_event(client, load_event("sms_received.json"), age_seconds=6 * 60)
    assert response.status_code == 403
    assert stored() == []


def test_without_a_key_every_delivery_is_refused(gate_app, client) -> None:
    gate_app.config["SMSGATE_SIGNING_KEY"] = None
    body = json.dumps(load_event("sms_received.json")).encode()
    response = client.post(PATH, data=body, headers=signed_headers(body, key=""))
    assert response.status_code == 403


def test_an_unknown_event_gets_a_clear_400(gate_app, client) -> None:
    response = post_event(client, load_event("sms_data_received.json"))
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "unknown_event"
    assert stored() == []


def test_delivery_reports_move_the_outbox_row(gate_app, client) -> None:
    row_id = enqueue(
        db.session,
        key="reply:1",
        purpose=Purpose.REPLY,
        to="+6280800000201",
        channel="sms",
        body="x",
        now=T0,
    )
    row = db.session.get(Outbox, row_id)
    row.status, row.provider_message_id = OutboxStatus.SENT, "zXDYfTmTVf3iMd16zzdBj"
    db.session.commit()
    assert post_event(client, load_event("sms_delivered.json")).status_code == 204
    assert post_event(client, load_event("sms_failed.json")).status_code == 204  # too late
    db.session.expire_all()
    assert db.session.get(Outbox, row_id).status == OutboxStatus.DELIVERED


def admin_messages() -> list[str]:
    return list(db.session.scalars(select(Outbox.body).where(Outbox.purpose == Purpose.ADMIN)))


def test_a_gateway_silent_for_fifteen_minutes_is_reported_once(gate_app, client) -> None:
    db.session.add(Account(name="Admin", role=Role.ADMIN, phone="+6280800000900", is_active=True))
    db.session.commit()
    assert post_event(client, load_event("system_ping.json")).status_code == 204
    assert db.session.scalar(select(func.count()).select_from(GatewayHeartbeat)) == 1
    assert check_gateways(T0 + timedelta(minutes=15)) == "0 gateways newly silent"
    assert admin_messages() == []
    assert check_gateways(T0 + timedelta(minutes=16)) == "1 gateways newly silent"
    assert check_gateways(T0 + timedelta(minutes=30)) == "0 gateways newly silent"
    (text,) = admin_messages()
    assert "16" in text
    # Heard from again, then silent again: reported again.
    clock.freeze(T0 + timedelta(hours=2))
    post_event(client, load_event("system_ping.json"))
    assert check_gateways(T0 + timedelta(hours=2, minutes=20)) == "1 gateways newly silent"


def test_catch_up_stores_what_never_arrived_once(gate_app, client, monkeypatch) -> None:
    from channels.smsgate import parse_time
    from channels.smsgate_send import InboxItem, SmsGateProvider
    from webhooks.gateway_jobs import catch_up_smsgate

    gate_app.config.update(
        SIGAP_PROVIDER=None,  # the providers configured, not the tests' console
        SMSGATE_API_URL="http://127.0.0.1:9",
        SMSGATE_USERNAME="u",
        SMSGATE_PASSWORD="p",
    )
    arrived = load_event("sms_received.json")
    post_event(client, arrived)
    inbox = [
        # The one the webhook brought, as the inbox names it (another id, same second).
        InboxItem(
            "in-1",
            "+6280800000201",
            arrived["payload"]["message"],
            parse_time("2026-11-25T01:58:01Z"),
        ),
        # One sent while the server could not be reached.
        InboxItem("in-2", "+6280800000202", "tolong", parse_time("2026-11-25T00:10:00Z")),
    ]
    monkeypatch.setattr(SmsGateProvider, "inbox", lambda self, since, until: iter(inbox))
    assert catch_up_smsgate(T0) == "2 in the inbox, 1 stored"
    assert catch_up_smsgate(T0) == "2 in the inbox, 0 stored"
    assert [r.provider_message_id for r in stored()] == ["Ey6ECgOkVVFjz3CL48B8C", "inbox:in-2"]
    # The phone relays the missed one late after all: still one copy.
    late = load_event(
        "sms_received.json",
        id="Lt8pZ2xQ5vN1mC4bR7kWs",
        payload={
            "phoneNumber": "+6280800000202",
            "message": "tolong",
            "receivedAt": "2026-11-25T08:10:00+08:00",
        },
    )
    assert post_event(client, late).status_code == 204
    assert len(stored()) == 2


def test_catch_up_without_smsgate_does_nothing(gate_app) -> None:
    from webhooks.gateway_jobs import catch_up_smsgate

    assert catch_up_smsgate(T0) == "smsgate not configured"
