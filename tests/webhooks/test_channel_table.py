"""One table of inbound cases run against every channel kind.

Each kind says how it builds, signs and posts a message; the table says what a person sends
and what must be stored. SMSGate counts three times: an SMS, a downloaded MMS (text and a
photo inline) and an MMS announced whose content never came (stored without words). Every
kind also gets, automatically, a bad signature, a missing one, a stale or replayed delivery,
a duplicate and an unknown event: each refused or answered without storing anything twice.
"""

from __future__ import annotations

import json
from base64 import b64encode
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from channels.smsgate import sign as smsgate_sign
from channels.whatsapp_cloud import sign as cloud_sign
from core import clock
from core.db import db
from models import InboundMessage
from tests.media_standin import PHOTO
from tests.signing import load_form, sign
from tests.smsgate import TEST_SIGNING_KEY, load_event
from tests.whatsapp_cloud import TEST_APP_SECRET, first_message, load_delivery
from webhooks import mms

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Request:
    """A request as it leaves the provider: path, body and headers."""

    path: str
    body: bytes
    headers: dict[str, str]


class Kind:
    """How one channel kind's provider sends us a message."""

    name: str
    provider: str
    channel: str
    ok: int  # the status a stored message is answered with

    def configure(self, app: Flask) -> None:
        """Give the app this kind's secrets."""

    def message(self, msg_id: str, sender: str, text: str) -> Request:
        """A signed delivery of one text message."""
        raise NotImplementedError

    def unknown_event(self) -> Request:
        """A signed delivery of something this route does not handle."""
        raise NotImplementedError

    def unsigned(self, request: Request) -> Request:
        """The same delivery without its signature."""
        raise NotImplementedError

    def badly_signed(self, request: Request) -> Request:
        """The same delivery signed with another key."""
        raise NotImplementedError

    def stale(self, request: Request) -> tuple[Request, int]:
        """The delivery replayed later, and the status that must answer it."""
        return request, self.ok  # no timestamp in the signature: the replay is a duplicate

    def settle(self) -> None:
        """Let what this kind leaves waiting become stored messages."""

    def stored_text(self, text: str) -> str:
        """What is stored of a text this kind carries."""
        return text


class Twilio(Kind):
    provider = "twilio"
    ok = 200

    def __init__(self, route: str) -> None:
        self.name = f"twilio-{route}"
        self.channel = self.route = route

    def _signed(self, path: str, form: dict[str, str], token: str | None = None) -> Request:
        url = f"http://localhost{path}"
        signature = sign(url, form, token) if token else sign(url, form)
        body = "&".join(f"{k}={v}" for k, v in _urlencoded(form))
        return Request(
            path,
            body.encode(),
            {
                "X-Twilio-Signature": signature,
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )

    def message(self, msg_id: str, sender: str, text: str) -> Request:
        prefix = "whatsapp:" if self.route == "whatsapp" else ""
        form = {
            "MessageSid": "SM" + msg_id.rjust(32, "0")[:32],
            "AccountSid": "AC" + "0" * 32,
            "From": prefix + sender,
            "To": prefix + "+12025550100",
            "Body": text,
            "NumMedia": "0",
        }
        return self._signed(f"/webhooks/twilio/{self.route}", form)

    def unknown_event(self) -> Request:
        return self._signed("/webhooks/twilio/status", load_form("status_unknown.txt"))

    def unsigned(self, request: Request) -> Request:
        headers = {k: v for k, v in request.headers.items() if k != "X-Twilio-Signature"}
        return Request(request.path, request.body, headers)

    def badly_signed(self, request: Request) -> Request:
        form = dict(_parse_form(request.body))
        return self._signed(request.path, form, token="another-auth-token")


class SmsGate(Kind):
    name = provider = "smsgate"
    channel = "sms"
    ok = 204

    def configure(self, app: Flask) -> None:
        app.config["SMSGATE_SIGNING_KEY"] = TEST_SIGNING_KEY

    def _signed(self, event: dict[str, Any], key: str = TEST_SIGNING_KEY, age: int = 0) -> Request:
        body = json.dumps(event).encode()
        stamp = str(int(clock.now().timestamp()) - age)
        headers = {
            "X-Timestamp": stamp,
            "X-Signature": smsgate_sign(key, body, stamp),
            "Content-Type": "application/json",
        }
        return Request("/webhooks/smsgate", body, headers)

    def message(self, msg_id: str, sender: str, text: str) -> Request:
        return self._signed(
            load_event(
                "sms_received.json", id=msg_id, payload={"phoneNumber": sender, "message": text}
            )
        )

    def unknown_event(self) -> Request:
        return self._signed(load_event("sms_data_received.json"))

    def unsigned(self, request: Request) -> Request:
        return Request(request.path, request.body, {"Content-Type": "application/json"})

    def badly_signed(self, request: Request) -> Request:
        return self._signed(json.loads(request.body), key="another-signing-key")

    def stale(self, request: Request) -> tuple[Request, int]:
        return self._signed(json.loads(request.body), age=6 * 60), 403


class SmsGateMms(SmsGate):
    """A downloaded MMS: the text and a small photo inline."""

    name = "smsgate-mms"

    def message(self, msg_id: str, sender: str, text: str) -> Request:
        photo = {"partId": 1, "contentType": "image/jpeg", "data": b64encode(PHOTO).decode()}
        payload = {"phoneNumber": sender, "sender": sender, "body": text, "attachments": [photo]}
        return self._signed(load_event("mms_downloaded.json", id=msg_id, payload=payload))


class SmsGateMmsNotice(SmsGate):
    """An MMS announced but never downloaded: stored, without words, once it stops waiting."""

    name = "smsgate-mms-notice"

    def message(self, msg_id: str, sender: str, text: str) -> Request:
        payload = {"phoneNumber": sender}
        return self._signed(load_event("mms_received.json", id=msg_id, payload=payload))

    def settle(self) -> None:
        mms.answer_waiting(clock.now() + mms.CONTENT_WAIT)

    def stored_text(self, text: str) -> str:
        return ""


class WhatsAppCloud(Kind):
    name = provider = "whatsapp_cloud"
    channel = "whatsapp"
    ok = 200

    def configure(self, app: Flask) -> None:
        app.config["WHATSAPP_CLOUD_APP_SECRET"] = TEST_APP_SECRET

    def _signed(self, delivery: dict[str, Any], secret: str = TEST_APP_SECRET) -> Request:
        body = json.dumps(delivery).encode()
        headers = {"X-Hub-Signature-256": cloud_sign(secret, body)}
        return Request(
            "/webhooks/whatsapp-cloud", body, {**headers, "Content-Type": "application/json"}
        )

    def message(self, msg_id: str, sender: str, text: str) -> Request:
        delivery = load_delivery("text.json")
        message = first_message(delivery)
        message.update(id=f"wamid.{msg_id}", text={"body": text})
        message["from"] = sender.removeprefix("+")
        delivery["entry"][0]["changes"][0]["value"]["contacts"][0]["wa_id"] = message["from"]
        return self._signed(delivery)

    def unknown_event(self) -> Request:
        return self._signed(load_delivery("unknown_field.json"))

    def unsigned(self, request: Request) -> Request:
        return Request(request.path, request.body, {"Content-Type": "application/json"})

    def badly_signed(self, request: Request) -> Request:
        return self._signed(json.loads(request.body), secret="another-app-secret")


KINDS = [
    Twilio("sms"),
    Twilio("whatsapp"),
    SmsGate(),
    SmsGateMms(),
    SmsGateMmsNotice(),
    WhatsAppCloud(),
]


@dataclass(frozen=True)
class Case:
    """What a person sends, and what must be stored of it."""

    name: str
    sender: str
    text: str
    stored_sender: str


CASES = [
    Case("plain Indonesian", "+6280800000701", "tolong ada kekerasan di Sidera", "+6280800000701"),
    Case("English", "+447700900123", "help, my neighbour is being beaten", "+447700900123"),
    Case("emoji and accents", "+15550100123", "tolong 🙏 sekarang — cepat", "+15550100123"),
    Case("a command word", "+6280800000702", "STATUS K7Q2", "+6280800000702"),
    Case("text of one full SMS", "+6280800000703", "a" * 160, "+6280800000703"),
]  # fmt: skip


def send(client: FlaskClient, request: Request):
    return client.post(request.path, data=request.body, headers=request.headers)


def stored(kind: Kind) -> list[InboundMessage]:
    kind.settle()
    db.session.expire_all()
    query = select(InboundMessage).where(InboundMessage.provider == kind.provider)
    return list(db.session.scalars(query.order_by(InboundMessage.id)))


@pytest.fixture(params=KINDS, ids=lambda k: k.name)
def kind(request: pytest.FixtureRequest, app: Flask, tmp_path: Path) -> Kind:
    clock.freeze(T0)
    app.config["MEDIA_DIR"] = str(tmp_path / "media")
    request.param.configure(app)
    return request.param


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_inbound(kind: Kind, client: FlaskClient, case: Case) -> None:
    response = send(client, kind.message("m0001", case.sender, case.text))
    assert response.status_code == kind.ok
    (row,) = stored(kind)
    expected = (kind.channel, case.stored_sender, kind.stored_text(case.text))
    assert (row.channel, row.sender, row.body) == expected


def test_bad_signature(kind: Kind, client: FlaskClient) -> None:
    request = kind.badly_signed(kind.message("m0002", "+6280800000701", "tolong"))
    assert send(client, request).status_code == 403
    assert stored(kind) == []


def test_missing_signature(kind: Kind, client: FlaskClient) -> None:
    request = kind.unsigned(kind.message("m0003", "+6280800000701", "tolong"))
    assert send(client, request).status_code == 403
    assert stored(kind) == []


def test_stale_or_replayed(kind: Kind, client: FlaskClient) -> None:
    first = kind.message("m0004", "+6280800000701", "tolong")
    assert send(client, first).status_code == kind.ok
    replay, expected = kind.stale(first)
    assert send(client, replay).status_code == expected
    assert len(stored(kind)) == 1


def test_duplicate(kind: Kind, client: FlaskClient) -> None:
    request = kind.message("m0005", "+6280800000701", "tolong")
    answers = [send(client, request).status_code for _ in range(3)]
    assert answers == [kind.ok] * 3
    assert len(stored(kind)) == 1


def test_unknown_event(kind: Kind, client: FlaskClient) -> None:
    response = send(client, kind.unknown_event())
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] in ("unknown_event", "unknown_status")
    assert stored(kind) == []


def _urlencoded(form: dict[str, str]) -> list[tuple[str, str]]:
    from urllib.parse import quote_plus

    return [(quote_plus(k), quote_plus(v)) for k, v in form.items()]


def _parse_form(body: bytes) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(body.decode(), keep_blank_values=True)
