"""GET and POST /webhooks/whatsapp-cloud: the challenge, messages stored once, statuses."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from alerts.outbox import enqueue
from core import clock
from core.db import db
from models import InboundMessage, Outbox, OutboxStatus, Purpose
from tests.signing import reply_to
from tests.whatsapp_cloud import (
    PATH,
    TEST_APP_SECRET,
    TEST_VERIFY_TOKEN,
    load_delivery,
    post_delivery,
)


@pytest.fixture
def cloud_app(app: Flask) -> Flask:
    app.config.update(
        WHATSAPP_CLOUD_APP_SECRET=TEST_APP_SECRET, WHATSAPP_CLOUD_VERIFY_TOKEN=TEST_VERIFY_TOKEN
    )
    return app


def stored() -> list[InboundMessage]:
    db.session.expire_all()
    query = select(InboundMessage).where(InboundMessage.provider == "whatsapp_cloud")
    return list(db.session.scalars(query.order_by(InboundMessage.id)))


def test_the_verification_challenge(cloud_app, client) -> None:
    args = {"hub.mode": "subscribe", "hub.verify_token": TEST_VERIFY_TOKEN, "hub.challenge": "42"}
    answer = client.get(PATH, query_string=args)
    assert (answer.status_code, answer.get_data(as_text=True)) == (200, "42")
    wrong = client.get(PATH, query_string={**args, "hub.verify_token": "guess"})
    assert wrong.status_code == 403


def test_without_a_verify_token_the_challenge_is_refused(app, client) -> None:
    args = {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "42"}
    assert client.get(PATH, query_string=args).status_code == 403


def test_a_text_is_stored_once_and_answered_on_whatsapp(cloud_app, client) -> None:
    delivery = load_delivery("text.json")
    assert post_delivery(client, delivery).status_code == 200
    assert post_delivery(client, delivery).status_code == 200
    (row,) = stored()
    assert (row.channel, row.sender) == ("whatsapp", "+6280800000301")
    assert reply_to(row.provider_message_id)
    reply = db.session.scalars(select(Outbox).where(Outbox.purpose == Purpose.REPLY)).one()
    assert reply.channel == "whatsapp"


def test_without_a_secret_every_delivery_is_refused(app, client) -> None:
    response = post_delivery(client, load_delivery("text.json"), secret="")
    assert response.status_code == 403
    assert stored() == []


def test_a_failed_status_outside_the_window_falls_back_to_sms(cloud_app, client) -> None:
    row_id = enqueue(
        db.session,
        key="reply:1",
        purpose=Purpose.REPLY,
        to="+6280800000301",
        channel="whatsapp",
        body="x",
        now=clock.now(),
    )
    row = db.session.get(Outbox, row_id)
    row.status, row.provider_message_id = OutboxStatus.SENT, "wamid.TESTOUT00001"
    db.session.commit()
    assert post_delivery(client, load_delivery("status_failed.json")).status_code == 200
    db.session.expire_all()
    rows = list(db.session.scalars(select(Outbox).order_by(Outbox.id)))
    assert [(r.channel, r.status, r.error_code) for r in rows] == [
        ("whatsapp", OutboxStatus.FAILED, 131047),
        ("sms", OutboxStatus.PENDING, None),
    ]
