"""End to end on SMSGate: a signed SMS or MMS in, a case, and the reporter's reply and the staff
alert out through the phone's API, every request checked against its spec by the mock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from channels import Outgoing, SendOutcome, SmsGateProvider
from core import clock
from core.db import db
from models import Case, InboundMessage, Outbox, OutboxStatus, Purpose
from tests.signing import run_worker
from tests.smsgate import TEST_SIGNING_KEY, load_event, post_event
from tests.twilio_mock import TwilioMock

pytestmark = pytest.mark.slow

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
REPORTER = "+6280800000201"


@pytest.fixture
def recorded(monkeypatch) -> list[dict]:
    """The JSON body of every message the provider posted to the phone."""
    sent: list[dict] = []
    original = SmsGateProvider._call

    def call(self, method, path, **kwargs):
        if method == "POST" and path == "/messages":
            sent.append(kwargs["json"])
        return original(self, method, path, **kwargs)

    monkeypatch.setattr(SmsGateProvider, "_call", call)
    return sent


def test_send_and_inbox_are_valid_requests(smsgate_mock: TwilioMock) -> None:
    sender = SmsGateProvider(smsgate_mock.base_url, "sigap", "pw")
    mark = smsgate_mock.mark()
    msg = Outgoing(REPORTER, "sms", "Laporan diterima. Nomor: K7Q2", validity_seconds=900, key="k")
    assert sender.send(msg).outcome is SendOutcome.SENT
    assert sender.find_sent(msg, T0)
    assert len(list(sender.inbox(T0.replace(hour=0), T0))) == 1  # the spec's example
    sender.close()
    assert smsgate_mock.requests_to("post /messages", since=mark) == 1
    assert smsgate_mock.requests_to("get /inbox", since=mark) == 1
    assert smsgate_mock.rejected_count(since=mark) == 0, "\n".join(smsgate_mock.log_lines(mark))


def test_signed_sms_to_case_reply_and_alert_through_the_phone(
    app, client, runner, smsgate_mock: TwilioMock, recorded
) -> None:
    from alerts.rosters import seed_demo_rosters
    from cases import seed_default_rules
    from core.demo import seed_demo

    seed_demo(db.session)
    seed_default_rules(db.session)
    seed_demo_rosters(db.session)
    db.session.commit()
    clock.freeze(T0)
    app.config.update(
        SIGAP_PROVIDER=None,  # the providers configured, not the tests' console
        SMSGATE_SIGNING_KEY=TEST_SIGNING_KEY,
        SMSGATE_API_URL=smsgate_mock.base_url,
        SMSGATE_USERNAME="sigap",
        SMSGATE_PASSWORD="pw",
    )
    mark = smsgate_mock.mark()
    event = load_event(
        "sms_received.json",
        payload={"message": "Tolong!! ibu di desa Kotarindau sedang dipukuli suaminya pakai kayu"},
    )
    assert post_event(client, event).status_code == 204
    assert run_worker() == 1

    case = db.session.scalars(select(Case)).one()
    row = db.session.scalars(select(InboundMessage)).one()
    reply = db.session.scalars(select(Outbox).where(Outbox.purpose == Purpose.REPLY)).one()
    assert case.reference in reply.body
    assert (reply.status, reply.to, reply.reporter_id) == (
        OutboxStatus.SENT,
        REPORTER,
        row.reporter_id,
    )
    assert recorded[0]["phoneNumbers"] == [REPORTER]
    assert case.reference in recorded[0]["textMessage"]["text"]

    result = runner.invoke(args=["jobs", "run-due", "--now", T0.isoformat()])
    assert result.exit_code == 0, result.output
    alerts = db.session.scalars(select(Outbox).where(Outbox.purpose == Purpose.ALERT)).all()
    assert alerts
    assert {a.status for a in alerts} == {OutboxStatus.SENT}
    officers = {a.to for a in alerts}
    assert {tuple(body["phoneNumbers"]) for body in recorded[1:]} == {(o,) for o in officers}
    assert all(case.reference in body["textMessage"]["text"] for body in recorded[1:])
    assert smsgate_mock.requests_to("post /messages", since=mark) == 1 + len(alerts)
    assert smsgate_mock.rejected_count(since=mark) == 0, "\n".join(smsgate_mock.log_lines(mark))


def test_signed_mms_photo_is_stored_encrypted_listed_and_answered_through_the_phone(
    app, client, smsgate_mock: TwilioMock, recorded, tmp_path
) -> None:
    from api import tokens
    from cases import seed_default_rules
    from core.demo import seed_demo
    from models import Account, CaseAgency, MediaFile, MediaStatus, Role
    from tests.media_standin import PHOTO
    from webhooks import media

    seed_demo(db.session)
    seed_default_rules(db.session)
    db.session.commit()
    clock.freeze(T0)
    app.config.update(
        SIGAP_PROVIDER=None,
        SMSGATE_SIGNING_KEY=TEST_SIGNING_KEY,
        SMSGATE_API_URL=smsgate_mock.base_url,
        SMSGATE_USERNAME="sigap",
        SMSGATE_PASSWORD="pw",
        MEDIA_DIR=str(tmp_path / "media"),
    )
    mark = smsgate_mock.mark()
    assert post_event(client, load_event("mms_downloaded.json")).status_code == 204
    assert run_worker() == 1

    case = db.session.scalars(select(Case)).one()
    photo = db.session.scalars(select(MediaFile)).one()
    assert (photo.status, photo.case_id) == (MediaStatus.STORED, case.id)
    on_disk = (media.directory() / photo.path).read_bytes()
    assert on_disk != PHOTO  # the bytes on disk are not the image
    assert PHOTO[:16] not in on_disk
    assert media.read(photo) == PHOTO

    agency_id = db.session.scalars(
        select(CaseAgency.agency_id).where(CaseAgency.case_id == case.id)
    ).first()
    staff = Account(role=Role.STAFF, name="Uji", phone="+6280800000301", agency_id=agency_id)
    db.session.add(staff)
    db.session.flush()
    token = tokens.issue(db.session, staff, T0)[1]
    db.session.commit()
    auth = {"Authorization": f"Bearer {token}"}
    listed = client.get(f"/api/v1/cases/{case.reference}", headers=auth).get_json()["media"]
    assert [(m["id"], m["status"], m["content_type"]) for m in listed] == [
        (photo.id, "stored", "image/jpeg")
    ]
    download = client.get(f"/api/v1/cases/{case.reference}/media/{photo.id}", headers=auth)
    assert (download.status_code, download.data) == (200, PHOTO)

    reply = db.session.scalars(select(Outbox).where(Outbox.purpose == Purpose.REPLY)).one()
    assert reply.status == OutboxStatus.SENT
    assert recorded[0]["phoneNumbers"] == [REPORTER]
    assert case.reference in recorded[0]["textMessage"]["text"]
    assert smsgate_mock.requests_to("post /messages", since=mark) == 1
    assert smsgate_mock.rejected_count(since=mark) == 0, "\n".join(smsgate_mock.log_lines(mark))
