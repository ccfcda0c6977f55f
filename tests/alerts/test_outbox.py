"""The outbox: one row per message, sent once, retried, rerouted, dead-lettered, never stuck."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from alerts import escalation, notify
from alerts.outbox import (
    CLAIM_TIMEOUT,
    apply_status,
    drain,
    enqueue,
)
from channels import DeliveryStatus, SendOutcome, SendResult, StatusUpdate
from core import clock
from core.db import db
from core.retry import OUTBOX
from models import AlertChain, Outbox, OutboxStatus, Purpose, Reporter
from tests.alerts.conftest import REPORTER_PHONE, FakeProvider

BACKOFF, MAX_ATTEMPTS = OUTBOX.waits, OUTBOX.max_attempts
STAFF = "+6280800001234"
RETRY_500 = SendResult(SendOutcome.RETRY, None, 20500, "twilio http 500")
RETRY_429 = SendResult(SendOutcome.RETRY, None, 20429, "twilio http 429")
CONNECT_TIMEOUT = SendResult(SendOutcome.RETRY, detail="ConnectTimeout")
READ_TIMEOUT = SendResult(SendOutcome.UNKNOWN, detail="ReadTimeout")
BAD_NUMBER = SendResult(SendOutcome.FINAL, None, 21211, "twilio http 400 code 21211")
OPTED_OUT = SendResult(
    SendOutcome.NEXT_CHANNEL, None, 21610, "twilio http 400 code 21610", is_opted_out=True
)
NO_WINDOW = SendResult(SendOutcome.NEXT_CHANNEL, None, 63016, "twilio http 400 code 63016")


def put(key: str = "k1", *, to: str = STAFF, channel: str = "sms", body: str = "halo", **kw):
    row_id = enqueue(
        db.session,
        key=key,
        purpose=kw.pop("purpose", Purpose.REPLY),
        to=to,
        channel=channel,
        body=body,
        now=clock.now(),
        **kw,
    )
    db.session.commit()
    return db.session.get(Outbox, row_id)


def rows() -> list[Outbox]:
    db.session.expire_all()
    return list(db.session.scalars(select(Outbox).order_by(Outbox.id)))


def test_same_key_twice_is_one_message(frozen, provider) -> None:
    first = put("reply:7", body="satu")
    again = put("reply:7", body="dua")
    assert again.id == first.id
    stats = drain(clock.now(), provider, "w1")
    assert (stats.claimed, stats.sent) == (1, 1)
    assert [m.body for m in provider.requests] == ["satu"]
    assert drain(clock.now(), provider, "w1").claimed == 0


def test_a_sent_row_records_the_provider_id_and_nothing_is_left_claimed(frozen, provider) -> None:
    put()
    drain(clock.now(), provider, "w1")
    (row,) = rows()
    assert row.status == OutboxStatus.SENT
    assert row.provider_message_id in provider.accepted
    assert (row.attempts, row.claimed_by, row.claimed_at, row.sent_at) == (1, None, None, frozen)


def test_retries_wait_longer_each_time_then_dead_letter_and_tell_an_admin(demo) -> None:
    clock.freeze(clock.now())
    provider = FakeProvider(script=[RETRY_500, RETRY_429, CONNECT_TIMEOUT] * 2)
    put()
    waits = []
    for _ in range(MAX_ATTEMPTS):
        assert drain(clock.now(), provider, "w1").claimed == 1
        row = rows()[0]
        if row.status == OutboxStatus.PENDING:
            waits.append(row.next_attempt_at - clock.now())
            assert (
                drain(clock.now() + waits[-1] - timedelta(seconds=1), provider, "w1").claimed == 0
            )
            clock.advance(waits[-1])
    assert waits == list(BACKOFF)
    row, admin = rows()
    assert (row.status, row.attempts) == (OutboxStatus.DEAD, MAX_ATTEMPTS)
    assert admin.purpose == Purpose.ADMIN
    assert admin.to == demo.coordinator.phone
    assert f"#{row.id}" in admin.body
    assert STAFF not in admin.body
    assert "halo" not in admin.body


def test_final_error_is_dead_at_once(demo, frozen) -> None:
    provider = FakeProvider(script=[BAD_NUMBER])
    put()
    assert drain(clock.now(), provider, "w1").dead == 1
    assert [r.status for r in rows()] == [OutboxStatus.DEAD, OutboxStatus.PENDING]  # + admin


def test_whatsapp_outside_the_window_falls_back_to_sms(frozen) -> None:
    provider = FakeProvider(script=[NO_WINDOW])
    put("reply:9", channel="whatsapp")
    assert drain(clock.now(), provider, "w1").rerouted == 1
    assert drain(clock.now(), provider, "w1").sent == 1
    wa, sms = rows()
    assert (wa.status, wa.error_code) == (OutboxStatus.FAILED, 63016)
    assert (sms.channel, sms.status, sms.idempotency_key) == (
        "sms",
        OutboxStatus.SENT,
        "reply:9:sms",
    )
    assert [m.channel for m in provider.requests] == ["whatsapp", "sms"]


def test_opted_out_reporter_is_marked_and_not_sent_again(make_case, demo, frozen) -> None:
    case = make_case(demo.teams["UPTD-PPA-72"].agency)
    reporter = db.session.scalars(select(Reporter)).one()
    provider = FakeProvider(script=[OPTED_OUT])
    put("reply:1", to=REPORTER_PHONE, reporter_id=reporter.id, case_id=case.id)
    drain(clock.now(), provider, "w1")
    db.session.refresh(reporter)
    assert reporter.is_opted_out
    assert [r.status for r in rows()] == [OutboxStatus.FAILED]


def test_sms_alert_that_cannot_reach_its_officer_goes_to_the_next_person(
    app: Flask, make_case, demo, frozen
) -> None:
    team = demo.teams["UPTD-PPA-72"]
    case = make_case(team.agency)
    notify.case_routed(db.session, case, [team.agency], clock.now())
    db.session.commit()
    drain(clock.now(), FakeProvider(script=[OPTED_OUT]), "w1")
    chain = db.session.scalars(select(AlertChain)).one()
    db.session.refresh(chain)
    assert chain.next_at == clock.now()  # due now, not at the deadline
    escalation.escalate(db.session, clock.now(), escalation_zone(app))
    db.session.commit()
    to = {r.account_id for r in rows() if r.purpose == Purpose.ESCALATION}
    assert to == {team.backup.id, team.supervisor.id}


def escalation_zone(app: Flask):
    from zoneinfo import ZoneInfo

    return ZoneInfo(app.config["SIGAP_TIMEZONE"])


def test_unknown_outcome_looks_before_sending_again(frozen) -> None:
    provider = FakeProvider(script=[(READ_TIMEOUT, True)])
    put()
    assert drain(clock.now(), provider, "w1").retried == 1
    assert rows()[0].outcome_unknown
    clock.advance(BACKOFF[0])
    stats = drain(clock.now(), provider, "w1")
    assert (stats.sent, stats.found) == (1, 1)
    assert len(provider.requests) == 1
    assert provider.lookups == 1
    (row,) = rows()
    assert row.provider_message_id in provider.accepted
    assert not row.outcome_unknown


def test_a_lost_answer_is_not_taken_for_the_same_text_sent_for_another_row(frozen) -> None:
    # The first reply got through but its answer was lost; the same words then went to the
    # same person for another row. Looking the first up must not find the second's id.
    provider = FakeProvider(script=[(READ_TIMEOUT, True)])
    put("k1", body="Tambahan diterima untuk K7Q2")
    drain(clock.now(), provider, "w1")
    clock.advance(timedelta(seconds=1))
    put("k2", body="Tambahan diterima untuk K7Q2")
    assert drain(clock.now(), provider, "w1").sent == 1
    clock.advance(BACKOFF[0])
    stats = drain(clock.now(), provider, "w1")
    assert (stats.sent, stats.found) == (1, 1)
    first, second = rows()
    assert len(provider.accepted) == 2  # nothing reached the phone twice
    assert {first.provider_message_id, second.provider_message_id} == set(provider.accepted)


def test_unknown_outcome_that_did_not_get_through_is_sent_again(frozen) -> None:
    provider = FakeProvider(script=[(READ_TIMEOUT, False)])
    put()
    drain(clock.now(), provider, "w1")
    clock.advance(BACKOFF[0])
    assert drain(clock.now(), provider, "w1").sent == 1
    assert len(provider.requests) == 2
    assert len(provider.accepted) == 1


def test_a_claim_left_by_a_dead_worker_is_taken_back_and_checked(frozen) -> None:
    provider = FakeProvider()
    row = put()
    # A worker claimed it, sent it, and died before recording the outcome.
    row.status, row.claimed_by, row.claimed_at = OutboxStatus.SENDING, "dead", clock.now()
    row.next_attempt_at = clock.now() + CLAIM_TIMEOUT
    db.session.commit()
    provider.accepted["SMdead"] = provider_msg(row)
    assert drain(clock.now() + CLAIM_TIMEOUT - timedelta(seconds=1), provider, "w2").claimed == 0
    stats = drain(clock.now() + CLAIM_TIMEOUT, provider, "w2")
    assert (stats.claimed, stats.found) == (1, 1)
    assert provider.requests == []
    assert rows()[0].provider_message_id == "SMdead"


def provider_msg(row: Outbox):
    from channels import Outgoing

    return Outgoing(row.to, row.channel, row.body)  # type: ignore[arg-type]


def test_status_only_moves_forward_whatever_the_order(frozen, provider) -> None:
    put()
    drain(clock.now(), provider, "w1")
    sid = rows()[0].provider_message_id
    for status in ("delivered", "sent", "queued", "read", "delivered", "failed"):
        apply_status(db.session, StatusUpdate(sid, DeliveryStatus(status)), clock.now())
    db.session.commit()
    assert rows()[0].status == OutboxStatus.READ
    assert (
        apply_status(db.session, StatusUpdate("SMnobody", DeliveryStatus.SENT), clock.now()) is None
    )


def test_status_failure_is_final_and_an_opt_out_opts_the_reporter_out(
    make_case, demo, frozen, provider
) -> None:
    case = make_case(demo.teams["UPTD-PPA-72"].agency)
    reporter = db.session.scalars(select(Reporter)).one()
    put("reply:1", to=REPORTER_PHONE, reporter_id=reporter.id, case_id=case.id)
    drain(clock.now(), provider, "w1")
    sid = rows()[0].provider_message_id
    apply_status(
        db.session, StatusUpdate(sid, DeliveryStatus.UNDELIVERED, 21610, True), clock.now()
    )
    apply_status(db.session, StatusUpdate(sid, DeliveryStatus.DELIVERED), clock.now())
    db.session.commit()
    db.session.refresh(reporter)
    assert reporter.is_opted_out
    assert (rows()[0].status, rows()[0].error_code) == (OutboxStatus.UNDELIVERED, 21610)


def test_provider_faults_every_alert_ends_delivered_or_escalated(
    app, make_case, demo, frozen
) -> None:
    """500s, 429s and timeouts for twenty minutes, then recovery: nothing twice, nothing stuck."""
    rng = random.Random(7)
    faults = [RETRY_500, RETRY_429, CONNECT_TIMEOUT, (READ_TIMEOUT, True), (READ_TIMEOUT, False)]
    recovered_at = frozen + timedelta(minutes=20)

    def fault(_msg):
        if clock.now() < recovered_at and rng.random() < 0.7:
            return rng.choice(faults)
        return None

    provider = FakeProvider(fault=fault)
    tz = escalation_zone(app)
    teams = list(demo.teams.values())
    for i in range(20):
        team = teams[i % len(teams)]
        case = make_case(team.agency, "darurat" if i % 2 else "tinggi")
        notify.case_routed(db.session, case, [team.agency], clock.now())
    db.session.commit()
    for _ in range(8 * 60):  # two hours in 15-second steps
        drain(clock.now(), provider, "w1")
        escalation.escalate(db.session, clock.now(), tz)
        db.session.commit()
        clock.advance(timedelta(seconds=15))
    delivered = provider.delivered()
    assert len(delivered) == len(set(delivered)), "a message reached a phone twice"
    everything = rows()
    assert not [r for r in everything if r.status in (OutboxStatus.SENDING, OutboxStatus.PENDING)]
    chains = {(c.case_id, c.agency_id): c for c in db.session.scalars(select(AlertChain))}
    for row in everything:
        if row.purpose == Purpose.ALERT and row.status != OutboxStatus.SENT:
            agency_id = int(row.idempotency_key.split(":")[2])
            assert chains[(row.case_id, agency_id)].level >= 2, "a lost alert was not escalated"
    sent_ids = [r.provider_message_id for r in everything if r.status == OutboxStatus.SENT]
    assert set(sent_ids) <= set(provider.accepted)
    assert len(sent_ids) == len(delivered)  # every message that got through is recorded once


def test_four_threads_drain_two_hundred_messages_each_once(app: Flask) -> None:
    provider = FakeProvider()
    now = clock.now()
    for i in range(200):
        enqueue(
            db.session,
            key=f"bulk:{i}",
            purpose=Purpose.REPLY,
            to=STAFF,
            channel="sms",
            body=f"pesan {i:04d}",
            now=now,
        )
    db.session.commit()
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            with app.app_context():
                while drain(now, provider, name, limit=10).claimed:
                    pass
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"t{i}",)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    bodies = sorted(m.body for m in provider.requests)
    assert bodies == [f"pesan {i:04d}" for i in range(200)]
    counts = db.session.execute(select(Outbox.status, func.count()).group_by(Outbox.status)).all()
    assert counts == [(OutboxStatus.SENT, 200)]


@pytest.mark.slow
def test_four_processes_drain_two_thousand_messages_each_once(
    app: Flask, db_url: str, tmp_path: Path
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("SKIP LOCKED across processes needs PostgreSQL; SQLite is tested with threads")
    now = clock.now()
    db.session.execute(
        Outbox.__table__.insert(),
        [
            {
                "idempotency_key": f"bulk:{i}",
                "purpose": Purpose.REPLY,
                "channel": "sms",
                "to": STAFF,
                "to_hash": "x",
                "body": f"pesan {i:05d}",
                "status": OutboxStatus.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "outcome_unknown": False,
                "created_at": now,
            }
            for i in range(2000)
        ],
    )
    db.session.commit()
    worker = Path(__file__).with_name("drain_worker.py")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    procs = [
        subprocess.Popen(
            [sys.executable, str(worker), db_url, f"p{i}", str(tmp_path / f"p{i}.txt")], env=env
        )
        for i in range(4)
    ]
    assert [p.wait(timeout=300) for p in procs] == [0, 0, 0, 0]
    sent = [line for i in range(4) for line in (tmp_path / f"p{i}.txt").read_text().splitlines()]
    assert sorted(sent) == [f"pesan {i:05d}" for i in range(2000)]
    counts = db.session.execute(select(Outbox.status, func.count()).group_by(Outbox.status)).all()
    assert counts == [(OutboxStatus.SENT, 2000)]


def test_a_provider_id_seen_before_does_not_stop_the_drain(frozen) -> None:
    same = SendResult(SendOutcome.SENT, "SMsame", None, "accepted")
    provider = FakeProvider(script=[same, same])
    put("a", body="satu")
    put("b", body="dua")
    assert drain(clock.now(), provider, "w1").sent == 2
    assert [(r.status, r.provider_message_id) for r in rows()] == [
        (OutboxStatus.SENT, "SMsame"),
        (OutboxStatus.SENT, None),
    ]


def test_validity_and_status_callback_follow_the_provider_facts(
    app: Flask, make_case, demo, frozen
) -> None:
    """A darurat alert is worth 15 minutes: capped by the provider, reported to its path."""
    from channels import ChannelFacts

    class Capped(FakeProvider):
        def facts(self, channel: str) -> ChannelFacts:
            return ChannelFacts(validity_cap=600, status_path="/webhooks/x/status")

    app.config["PUBLIC_BASE_URL"] = "https://sigap.example.org"
    team = demo.teams["UPTD-PPA-72"]
    notify.case_routed(db.session, make_case(team.agency, "darurat"), [team.agency], clock.now())
    db.session.commit()
    capped, plain = Capped(), FakeProvider()
    drain(clock.now(), capped, "w1")
    assert {m.validity_seconds for m in capped.requests} == {600}
    assert {m.status_callback for m in capped.requests} == {
        "https://sigap.example.org/webhooks/x/status"
    }
    put("reply:2")
    drain(clock.now(), plain, "w1")
    assert [(m.validity_seconds, m.status_callback) for m in plain.requests] == [(None, None)]
