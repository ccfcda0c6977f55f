"""WhatsApp Cloud API: Meta's payloads to neutral messages; what the Graph API is sent."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from channels import ChannelError, DeliveryStatus, Outgoing, SendOutcome
from channels import whatsapp_cloud as cloud
from channels.whatsapp_cloud_send import WhatsAppCloudProvider
from tests.whatsapp_cloud import load_delivery

SENDER = "+6280800000301"


def parse(name: str) -> cloud.Delivery:
    return cloud.parse(json.dumps(load_delivery(name)).encode())


@pytest.mark.parametrize(
    ("fixture", "text", "media_type", "payload"),
    [
        ("text.json", "tolong tetangga sy di desa Sidera dipukuli suaminya sekarang", None, None),
        ("image.json", "luka di lengan", "image/jpeg", None),
        ("audio.json", "", "audio/ogg; codecs=opus", None),
        ("document.json", "surat", "application/pdf", None),
        ("location.json", "Balai Desa Sidera, Sidera, Sigi (-0.9, 119.87)", None, None),
        ("interactive_button.json", "Ya", None, "ya"),
        ("interactive_list.json", "Sidera", None, "place-1"),
    ],
)
def test_messages(fixture: str, text: str, media_type: str | None, payload: str | None) -> None:
    (msg,) = parse(fixture).messages
    assert (msg.provider, msg.channel, msg.sender) == ("whatsapp_cloud", "whatsapp", SENDER)
    assert msg.provider_message_id.startswith("wamid.TEST")
    assert (msg.text, msg.button_payload, msg.profile_name) == (text, payload, "Warga Contoh")
    assert [m.content_type for m in msg.media] == ([media_type] if media_type else [])
    for ref in msg.media:
        assert ref.url.startswith("https://graph.facebook.com/")


@pytest.mark.parametrize(
    ("fixture", "status", "code"),
    [
        ("status_sent.json", DeliveryStatus.SENT, None),
        ("status_delivered.json", DeliveryStatus.DELIVERED, None),
        ("status_read.json", DeliveryStatus.READ, None),
        ("status_failed.json", DeliveryStatus.FAILED, 131047),
    ],
)
def test_statuses(fixture: str, status: DeliveryStatus, code: int | None) -> None:
    (update,) = parse(fixture).statuses
    assert (update.provider_message_id, update.status, update.error_code) == (
        "wamid.TESTOUT00001",
        status,
        code,
    )


def test_a_reaction_is_acknowledged_and_ignored() -> None:
    delivery = parse("reaction.json")
    assert (delivery.messages, delivery.ignored) == ([], 1)


@pytest.mark.parametrize("fixture", ["unknown_field.json", "unknown_type.json"])
def test_unknown_events(fixture: str) -> None:
    with pytest.raises(ChannelError) as raised:
        parse(fixture)
    assert raised.value.code == "unknown_event"


def test_signature_and_challenge() -> None:
    body = b'{"object":"whatsapp_business_account","entry":[]}'
    header = cloud.sign("s3cret", body)
    assert cloud.verify_signature("s3cret", body, header)
    assert not cloud.verify_signature("s3cret", body + b" ", header)
    assert not cloud.verify_signature("other", body, header)
    assert not cloud.verify_signature(None, body, header)
    assert not cloud.verify_signature("s3cret", body, header.removeprefix("sha256="))
    args = {"hub.mode": "subscribe", "hub.verify_token": "tok", "hub.challenge": "1158201444"}
    assert cloud.verify_challenge("tok", args) == "1158201444"
    assert cloud.verify_challenge("other", args) is None
    assert cloud.verify_challenge(None, args) is None
    assert cloud.verify_challenge("tok", {**args, "hub.mode": "unsubscribe"}) is None


class FakeSession:
    def __init__(self, status: int, body: Any) -> None:
        self.status, self.answer_body = status, body
        self.calls: list[dict[str, Any]] = []

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        self.calls.append({"url": url, **kwargs})
        response = requests.Response()
        response.status_code = self.status
        response._content = json.dumps(self.answer_body).encode()
        return response

    def close(self) -> None:
        pass


def provider(status: int, body: Any) -> tuple[WhatsAppCloudProvider, FakeSession]:
    session = FakeSession(status, body)
    made = WhatsAppCloudProvider(
        "token",
        "100000000000002",
        "http://127.0.0.1:9",
        session=session,  # type: ignore[arg-type]
    )
    return made, session


OK = {"messaging_product": "whatsapp", "messages": [{"id": "wamid.TESTOUT00002"}]}


def test_a_reply_is_free_form_text() -> None:
    sender, session = provider(200, OK)
    result = sender.send(Outgoing(SENDER, "whatsapp", "Laporan diterima. Nomor: K7Q2"))
    assert (result.outcome, result.provider_message_id) == (SendOutcome.SENT, "wamid.TESTOUT00002")
    (call,) = session.calls
    assert call["url"] == "http://127.0.0.1:9/v21.0/100000000000002/messages"
    assert call["headers"] == {"Authorization": "Bearer token"}
    assert call["json"]["type"] == "text"
    assert call["json"]["to"] == "6280800000301"
    assert call["json"]["text"]["body"] == "Laporan diterima. Nomor: K7Q2"


def test_an_alert_is_an_approved_template_with_its_variables_in_order() -> None:
    sender, session = provider(200, OK)
    alert = Outgoing(
        SENDER,
        "whatsapp",
        "",
        content_sid="sigap_alert",
        content_variables={"2": "darurat", "1": "K7Q2", "10": "Sidera"},
    )
    sender.send(alert)
    template = session.calls[0]["json"]["template"]
    assert (template["name"], template["language"]) == ("sigap_alert", {"code": "id"})
    assert [p["text"] for p in template["components"][0]["parameters"]] == [
        "K7Q2",
        "darurat",
        "Sidera",
    ]


@pytest.mark.parametrize(
    ("status", "code", "outcome"),
    [
        (400, 131047, SendOutcome.NEXT_CHANNEL),  # outside the 24-hour window: go by SMS
        (400, 131026, SendOutcome.NEXT_CHANNEL),
        (429, 130429, SendOutcome.RETRY),
        (500, 131000, SendOutcome.RETRY),
        (401, 190, SendOutcome.FINAL),
        (400, 100, SendOutcome.FINAL),
    ],
)
def test_classification(status: int, code: int, outcome: SendOutcome) -> None:
    error = {"error": {"message": "x", "type": "OAuthException", "code": code}}
    result = provider(status, error)[0].send(Outgoing(SENDER, "whatsapp", "x"))
    assert (result.outcome, result.error_code) == (outcome, code)
    assert SENDER[1:] not in result.detail
