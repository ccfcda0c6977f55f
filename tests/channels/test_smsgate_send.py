"""SMSGate outbound: what the phone's API is sent and how its answers are classified."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from channels import Outgoing, SendOutcome, SmsGateProvider
from channels.smsgate_send import client_id

REPORTER = "+6280800000201"
SMS = Outgoing(to=REPORTER, channel="sms", body="Laporan diterima. Nomor: K7Q2", key="reply:7")
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def respond(status: int, body: Any = None) -> Callable[..., requests.Response]:
    def answer(*args: Any, **kwargs: Any) -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(body).encode() if body is not None else b""
        return response

    return answer


def fail(exc: Exception) -> Callable[..., requests.Response]:
    def answer(*args: Any, **kwargs: Any) -> requests.Response:
        raise exc

    return answer


class FakeSession:
    """Records requests and answers them with a function."""

    def __init__(self, answer: Callable[..., requests.Response]) -> None:
        self.answer = answer
        self.calls: list[dict[str, Any]] = []

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        self.calls.append({"method": method, "url": url, **kwargs})
        return self.answer(method, url, **kwargs)

    def close(self) -> None:
        pass


def provider(answer: Callable[..., requests.Response]) -> tuple[SmsGateProvider, FakeSession]:
    session = FakeSession(answer)
    return SmsGateProvider("http://192.0.2.10:8080/", "sigap", "pw", session=session), session  # type: ignore[arg-type]


def test_an_sms_is_posted_with_basic_auth_and_our_own_id() -> None:
    sender, session = provider(respond(202, {"id": "abc", "state": "Pending"}))
    result = sender.send(SMS)
    assert (result.outcome, result.provider_message_id) == (SendOutcome.SENT, "abc")
    (call,) = session.calls
    assert (call["method"], call["url"], call["auth"]) == (
        "POST",
        "http://192.0.2.10:8080/messages",
        ("sigap", "pw"),
    )
    assert call["json"] == {
        "textMessage": {"text": SMS.body},
        "phoneNumbers": [REPORTER],
        "id": client_id("reply:7"),
    }


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        (respond(409), SendOutcome.SENT),  # the phone already has this id: sent once
        (respond(400, {"message": "bad"}), SendOutcome.FINAL),
        (respond(401), SendOutcome.FINAL),
        (respond(500), SendOutcome.RETRY),
        (respond(503), SendOutcome.RETRY),
        (fail(requests.ConnectTimeout()), SendOutcome.RETRY),
        (fail(requests.ConnectionError()), SendOutcome.RETRY),
        (fail(requests.ReadTimeout()), SendOutcome.UNKNOWN),
    ],
    ids=["409", "400", "401", "500", "503", "connect timeout", "refused", "read timeout"],
)
def test_classification(answer, outcome) -> None:
    result = provider(answer)[0].send(SMS)
    assert result.outcome is outcome
    assert REPORTER not in result.detail


def test_whatsapp_is_not_for_the_phone() -> None:
    sender, session = provider(respond(202, {"id": "x"}))
    whatsapp = Outgoing(to=REPORTER, channel="whatsapp", body="x")
    assert sender.send(whatsapp).outcome is SendOutcome.NEXT_CHANNEL
    assert session.calls == []


def test_validity_becomes_a_time_to_live() -> None:
    sender, session = provider(respond(202, {"id": "x"}))
    sender.send(Outgoing(to=REPORTER, channel="sms", body="x", validity_seconds=900))
    assert session.calls[0]["json"]["ttl"] == 900


def test_find_sent_asks_by_our_own_id() -> None:
    sender, session = provider(respond(200, {"id": client_id("reply:7")}))
    assert sender.find_sent(SMS, NOW) == client_id("reply:7")
    assert session.calls[0]["url"].endswith(f"/messages/{client_id('reply:7')}")
    assert provider(respond(404))[0].find_sent(SMS, NOW) is None


def test_the_inbox_is_read_page_by_page_and_skips_what_is_not_an_sms() -> None:
    items = [
        {
            "id": "i1",
            "sender": REPORTER,
            "contentPreview": "YA",
            "createdAt": "2026-11-25T01:00:00Z",
            "type": "SMS",
        },
        {
            "id": "i2",
            "sender": "TELKOMSEL",
            "contentPreview": "promo",
            "createdAt": "2026-11-25T01:00:00Z",
            "type": "SMS",
        },
        {
            "id": "i3",
            "sender": REPORTER,
            "contentPreview": "x",
            "createdAt": "2026-11-25T01:00:00Z",
            "type": "MMS",
        },
    ]
    sender, session = provider(respond(200, items))
    got = list(sender.inbox(NOW - timedelta(hours=24), NOW))
    assert [(i.id, i.sender, i.text) for i in got] == [("i1", REPORTER, "YA")]
    params = session.calls[0]["params"]
    assert (params["from"], params["to"], params["type"]) == (
        "2026-11-24T02:00:00Z",
        "2026-11-25T02:00:00Z",
        "SMS",
    )
