"""/metrics: every figure an operator watches, right after traffic, and nothing personal."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from alerts.schedule import drain_outbox
from alerts.scheduler import acquire_lease
from api.tokens import issue
from core import clock
from core.db import db
from core.demo import seed_demo
from models import Account, GatewayHeartbeat, Role
from tests.signing import Phone, Poster
from webhooks import spool

SENDER = "+628081234567"
TEXT = "tolong tetangga sy di desa Sidera dipukuli suaminya sekarang"


def scrape(client: FlaskClient, **kwargs: object) -> dict[tuple[str, tuple], float]:
    """Every sample of the scrape, keyed by name and sorted labels."""
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.data
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def demo(app: Flask) -> None:
    seed_demo(db.session)
    db.session.commit()


@pytest.mark.usefixtures("demo")
def test_metrics_follow_webhooks_sends_backlog_and_deadlines(
    app: Flask, client: FlaskClient, poster: Poster
) -> None:
    clock.freeze(clock.now())
    before = scrape(client)
    Phone(poster, SENDER).say(TEXT)
    forged = poster.post(
        "/webhooks/twilio/sms", {"MessageSid": "SMx", "Body": "x"}, signature="bad"
    )
    assert forged.status_code == 403
    after = scrape(client)
    accepted = ("sigap_webhooks_total", "twilio_sms", "accepted")
    refused = ("sigap_webhooks_total", "twilio_sms", "refused")
    for name, channel, outcome in (accepted, refused):
        grew = value(after, name, channel=channel, outcome=outcome) - value(
            before, name, channel=channel, outcome=outcome
        )
        assert grew == 1
    count = "sigap_webhook_acceptance_seconds_count"
    assert (
        value(after, count, channel="twilio_sms") - value(before, count, channel="twilio_sms") == 2
    )
    assert value(after, "sigap_outbox_due") >= 1  # the alerts wait for the drain

    drain_outbox(clock.now())
    db.session.commit()
    drained = scrape(client)
    assert value(drained, "sigap_outbox_due") == 0
    sent = value(drained, "sigap_sends_total", provider="console", outcome="sent")
    assert sent - value(after, "sigap_sends_total", provider="console", outcome="sent") >= 1

    clock.freeze(clock.now() + timedelta(minutes=16))  # past the 15-minute darurat deadline
    late = scrape(client)
    assert value(late, "sigap_cases_unacknowledged_overdue", priority="darurat") == 1
    assert value(late, "sigap_cases_unacknowledged_overdue", priority="biasa") == 0


def test_backlog_leader_and_spool_gauges(app: Flask, client: FlaskClient) -> None:
    now = clock.now()
    clock.freeze(now)
    assert value(scrape(client), "sigap_scheduler_leader_age_seconds") == -1
    acquire_lease("host:1", now - timedelta(seconds=20))
    assert value(scrape(client), "sigap_scheduler_leader_age_seconds") == pytest.approx(20)
    directory = spool.directory()
    spool.write(directory, "sms", {"MessageSid": "SM" + "7" * 32, "Body": "x"}, now)
    try:
        assert value(scrape(client), "sigap_spool_files") == 1
    finally:
        for path in spool.pending(directory):
            spool.remove(path)


def test_gateway_heartbeat_age(app: Flask, client: FlaskClient) -> None:
    now = clock.now()
    clock.freeze(now)
    db.session.add(
        GatewayHeartbeat(
            provider="smsgate", device_id="dev-1", last_seen_at=now - timedelta(minutes=16)
        )
    )
    db.session.commit()
    samples = scrape(client)
    assert value(samples, "sigap_gateway_last_heartbeat_seconds", gateway="dev-1") == 960


def test_oldest_waiting_message_age(app: Flask, client: FlaskClient) -> None:
    from models import InboundMessage

    now = clock.now()
    clock.freeze(now)
    db.session.add(
        InboundMessage(
            provider="twilio",
            channel="sms",
            provider_message_id="SM" + "1" * 32,
            sender_hash="h" * 64,
            sender=SENDER,
            body=TEXT,
            received_at=now - timedelta(minutes=3),
        )
    )
    db.session.commit()
    samples = scrape(client)
    assert value(samples, "sigap_inbound_waiting") == 1
    assert value(samples, "sigap_inbound_oldest_waiting_seconds") == pytest.approx(180)


def test_no_number_or_text_in_the_scrape(app: Flask, client: FlaskClient, poster: Poster) -> None:
    Phone(poster, SENDER).say(TEXT)
    drain_outbox(clock.now())
    page = client.get("/metrics").get_data(as_text=True)
    assert "8081234567" not in re.sub(r"\s", "", page)
    for word in ("Sidera", "dipukuli", "suaminya"):
        assert word not in page


def test_metrics_refused_from_elsewhere_unless_an_admin_token(
    app: Flask, client: FlaskClient
) -> None:
    remote = {"REMOTE_ADDR": "203.0.113.9"}
    refused = client.get("/metrics", environ_base=remote)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "forbidden"
    proxied = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status_code == 403
    tokens = {}
    for role in (Role.ADMIN, Role.COORDINATOR):
        account = Account(name=f"an {role}", role=role)
        db.session.add(account)
        db.session.flush()
        tokens[role] = issue(db.session, account, clock.now(), days=1)[1]
    db.session.commit()
    admin = {"Authorization": f"Bearer {tokens[Role.ADMIN]}"}
    assert client.get("/metrics", environ_base=remote, headers=admin).status_code == 200
    other = {"Authorization": f"Bearer {tokens[Role.COORDINATOR]}"}
    assert client.get("/metrics", environ_base=remote, headers=other).status_code == 403
