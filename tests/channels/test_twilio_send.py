"""Twilio out: the requests TwilioProvider makes and how it classifies every answer."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from twilio.http import HttpClient
from twilio.http.response import Response
from urllib3.exceptions import NewConnectionError, ProtocolError

from channels import (
    ChannelError,
    ConsoleProvider,
    Outgoing,
    SendOutcome,
    TwilioProvider,
    make_provider,
)
from channels.twilio_send import _TwilioTransport
from core.config import ConfigError

ACCOUNT = "AC0000000000000000000000000000c0de"
SMS_FROM = "+12025550100"
WA_FROM = "+12025550188"
SERVICE = "MG0000000000000000000000000000c0de"
TEMPLATE = "HX0000000000000000000000000000c0de"
REPORTER = "+6280800000101"
OFFICER = "+447700900123"
CREATED = {
    "sid": "SM3a2b3c4d5e6f708192a3b4c5d6e7f801",
    "status": "queued",
    "direction": "outbound-api",
    "to": REPORTER,
    "body": "Laporan diterima",
}


class FakeHttp(HttpClient):
    """An HttpClient that answers from a function and remembers every request."""

    def __init__(self, answer: Callable[[], Response]) -> None:
        super().__init__(logger=None, is_async=False)  # type: ignore[arg-type]
        self.answer = answer
        self.calls: list[dict[str, Any]] = []

    def request(self, method: str, uri: str, *args: Any, **kwargs: Any) -> Response:
        self.calls.append({"method": method, "url": uri, **kwargs})
        return self.answer()


def respond(status: int, body: object) -> Callable[[], Response]:
    """Return an answer function giving a canned Twilio response."""
    text = body if isinstance(body, str) else json.dumps(body)
    return lambda: Response(status, text)


def fail(exc: Exception) -> Callable[[], Response]:
    """Return an answer function raising `exc`, as requests would."""

    def answer() -> Response:
        raise exc

    return answer


def twilio_error(status: int, code: int) -> Callable[[], Response]:
    """Return Twilio's error answer, whose message quotes the recipient as Twilio's does."""
    message = f"The 'To' number {REPORTER} cannot receive this message"
    return respond(status, {"code": code, "message": message, "status": status})


def provider(answer: Callable[[], Response], **settings: Any) -> tuple[TwilioProvider, FakeHttp]:
    """Return a provider whose HTTP goes to `answer`, and the fake that records it."""
    http = FakeHttp(answer)
    settings = {"sms_from": SMS_FROM, "whatsapp_from": WA_FROM, **settings}
    return TwilioProvider(ACCOUNT, "token", http_client=http, **settings), http


SMS = Outgoing(to=REPORTER, channel="sms", body="Laporan diterima. Nomor: K7Q2")
WHATSAPP_TEMPLATE = Outgoing(
    to=OFFICER,
    channel="whatsapp",
    body="",
    content_sid=TEMPLATE,
    content_variables={"1": "K7Q2", "2": "darurat"},
)

CLASSIFICATIONS = [
    ("201 accepted", respond(201, CREATED), SendOutcome.SENT, None),
    ("500", respond(500, {"code": 20500, "message": "Internal error"}), SendOutcome.RETRY, 20500),
    ("503 without json", respond(503, "<html>busy</html>"), SendOutcome.RETRY, None),
    ("429 rate limited", twilio_error(429, 20429), SendOutcome.RETRY, 20429),
    ("400 invalid To (21211)", twilio_error(400, 21211), SendOutcome.FINAL, 21211),
    ("401 bad credentials", twilio_error(401, 20003), SendOutcome.FINAL, 20003),
    ("400 opted out (21610)", twilio_error(400, 21610), SendOutcome.NEXT_CHANNEL, 21610),
    ("400 outside 24h (63016)", twilio_error(400, 63016), SendOutcome.NEXT_CHANNEL, 63016),
    ("403 region off (21408)", twilio_error(403, 21408), SendOutcome.NEXT_CHANNEL, 21408),
    ("400 whatsapp refuses (63032)", twilio_error(400, 63032), SendOutcome.NEXT_CHANNEL, 63032),
    (
        "RFC 9457 problem",
        respond(400, {"type": "t", "title": "x", "status": 400, "code": 21610}),
        SendOutcome.NEXT_CHANNEL,
        21610,
    ),
    ("connect timeout", fail(requests.ConnectTimeout()), SendOutcome.RETRY, None),
    (
        "connection refused",
        fail(requests.ConnectionError(NewConnectionError(None, "refused"))),  # type: ignore[arg-type]
        SendOutcome.RETRY,
        None,
    ),
    (
        "connection dropped after sending",
        fail(requests.ConnectionError(ProtocolError("Connection aborted."))),
        SendOutcome.UNKNOWN,
        None,
    ),
    ("read timeout", fail(requests.ReadTimeout()), SendOutcome.UNKNOWN, None),
    ("201 with a body that is not json", respond(201, "{oops"), SendOutcome.UNKNOWN, None),
]


@pytest.mark.parametrize("msg", [SMS, WHATSAPP_TEMPLATE], ids=["sms", "whatsapp"])
@pytest.mark.parametrize(
    ("answer", "outcome", "code"),
    [case[1:] for case in CLASSIFICATIONS],
    ids=[case[0] for case in CLASSIFICATIONS],
)
def test_classification(
    answer: Callable[[], Response], outcome: SendOutcome, code: int | None, msg: Outgoing
) -> None:
    result = provider(answer)[0].send(msg)
    assert result.outcome is outcome
    assert result.error_code == code
    assert (result.provider_message_id is not None) == (outcome is SendOutcome.SENT)
    for secret in (REPORTER, REPORTER[1:], OFFICER[1:], "Laporan", "K7Q2"):
        assert secret not in result.detail


def form_of(http: FakeHttp) -> dict[str, str]:
    """Return the one form Twilio was sent, as single values."""
    (call,) = http.calls
    assert call["method"] == "POST"
    assert urlsplit(call["url"]).path == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    return {key: str(value) for key, value in call["data"].items()}


def test_sms_from_number() -> None:
    sender, http = provider(respond(201, CREATED))
    assert sender.send(SMS).provider_message_id == CREATED["sid"]
    assert form_of(http) == {"To": REPORTER, "From": SMS_FROM, "Body": SMS.body}


def test_sms_via_messaging_service_with_validity_and_callback() -> None:
    sender, http = provider(respond(201, CREATED), sms_from=None, messaging_service_sid=SERVICE)
    msg = Outgoing(
        to=REPORTER,
        channel="sms",
        body="Pengingat: kasus K7Q2 belum diterima",
        validity_seconds=900,
        status_callback="https://sigap.example.org/webhooks/twilio/status",
    )
    sender.send(msg)
    assert form_of(http) == {
        "To": REPORTER,
        "MessagingServiceSid": SERVICE,
        "Body": msg.body,
        "ValidityPeriod": "900",
        "StatusCallback": "https://sigap.example.org/webhooks/twilio/status",
    }


def test_whatsapp_template_has_prefixes_and_no_body() -> None:
    sender, http = provider(respond(201, CREATED))
    sender.send(WHATSAPP_TEMPLATE)
    form = form_of(http)
    assert form == {
        "To": f"whatsapp:{OFFICER}",
        "From": f"whatsapp:{WA_FROM}",
        "ContentSid": TEMPLATE,
        "ContentVariables": form["ContentVariables"],
    }
    assert json.loads(form["ContentVariables"]) == {"1": "K7Q2", "2": "darurat"}


def test_whatsapp_free_text_keeps_an_already_prefixed_sender() -> None:
    sender, http = provider(respond(201, CREATED), whatsapp_from=f"whatsapp:{WA_FROM}")
    sender.send(Outgoing(to=REPORTER, channel="whatsapp", body="Terima kasih"))
    assert form_of(http) == {
        "To": f"whatsapp:{REPORTER}",
        "From": f"whatsapp:{WA_FROM}",
        "Body": "Terima kasih",
    }


def test_whatsapp_without_sender_moves_to_the_next_channel() -> None:
    sender, http = provider(respond(201, CREATED), whatsapp_from=None)
    assert sender.send(WHATSAPP_TEMPLATE).outcome is SendOutcome.NEXT_CHANNEL
    assert http.calls == []


def test_sms_without_sender_is_final() -> None:
    sender, http = provider(respond(201, CREATED), sms_from=None)
    assert sender.send(SMS).outcome is SendOutcome.FINAL
    assert http.calls == []


def page_of(*messages: dict[str, Any]) -> Callable[[], Response]:
    """Return a Messages list answer holding `messages`."""
    return respond(200, {"messages": list(messages), "next_page_uri": None, "page": 0})


def listed(sid: str, body: str, when: str, direction: str = "outbound-api") -> dict[str, Any]:
    """Return one message as Twilio lists it."""
    return {"sid": sid, "body": body, "direction": direction, "date_created": when}


SINCE = datetime(2026, 3, 9, 4, 0, tzinfo=UTC)


def test_find_sent_matches_body_after_since() -> None:
    sender, http = provider(
        page_of(
            listed("SMinbound", SMS.body, "Mon, 09 Mar 2026 04:05:00 +0000", "inbound"),
            listed("SMearlier", SMS.body, "Mon, 09 Mar 2026 03:00:00 +0000"),
            listed("SMother", "Pesan lain", "Mon, 09 Mar 2026 04:05:00 +0000"),
            listed("SMmatch", SMS.body, "Mon, 09 Mar 2026 04:00:30 +0000"),
        )
    )
    assert sender.find_sent(SMS, SINCE) == "SMmatch"
    (call,) = http.calls
    assert call["method"] == "GET"
    assert call["params"]["To"] == REPORTER
    assert call["params"]["DateSent>"] == "2026-03-09"


def test_find_sent_passes_over_the_same_text_sent_for_another_row() -> None:
    sender, _ = provider(
        page_of(
            listed("SManother", SMS.body, "Mon, 09 Mar 2026 04:09:00 +0000"),
            listed("SMmine", SMS.body, "Mon, 09 Mar 2026 04:00:30 +0000"),
        )
    )
    assert sender.find_sent(SMS, SINCE) == "SManother"
    assert sender.find_sent(replace(SMS, not_these=frozenset({"SManother"})), SINCE) == "SMmine"


def test_find_sent_matches_a_template_by_its_variables() -> None:
    rendered = "SIGAP: kasus K7Q2 (darurat) menunggu. Balas OK K7Q2."
    sender, http = provider(
        page_of(
            listed("SMwrong", "SIGAP: kasus X9P1 (darurat)", "Mon, 09 Mar 2026 04:01:00 +0000"),
            listed("SMtemplate", rendered, "Mon, 09 Mar 2026 04:01:00 +0000"),
        )
    )
    assert sender.find_sent(WHATSAPP_TEMPLATE, SINCE) == "SMtemplate"
    assert http.calls[0]["params"]["To"] == f"whatsapp:{OFFICER}"


def test_find_sent_returns_none_when_twilio_has_nothing() -> None:
    assert provider(page_of())[0].find_sent(SMS, SINCE) is None


@pytest.mark.parametrize(
    "answer", [fail(requests.ReadTimeout()), respond(500, {"code": 20500})], ids=str
)
def test_find_sent_failure_is_a_channel_error(answer: Callable[[], Response]) -> None:
    with pytest.raises(ChannelError) as caught:
        provider(answer)[0].find_sent(SMS, SINCE)
    assert caught.value.code == "lookup_failed"


def test_api_base_url_keeps_path_and_query(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    transport = _TwilioTransport("http://127.0.0.1:4010", timeout=5)
    sent: list[requests.PreparedRequest] = []

    def fake_send(prepared: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        sent.append(prepared)
        answer = requests.Response()
        answer.status_code, answer._content = 200, b'{"messages": []}'
        return answer

    monkeypatch.setattr(transport.session, "send", fake_send)
    sender = TwilioProvider(ACCOUNT, "token", sms_from=SMS_FROM, http_client=transport)
    sender.find_sent(SMS, SINCE)
    url = urlsplit(sent[0].url)
    assert (url.scheme, url.netloc) == ("http", "127.0.0.1:4010")
    assert url.path == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert parse_qs(url.query)["To"] == [REPORTER]
    assert "Messages.json" in caplog.text
    assert REPORTER[1:] not in caplog.text


def test_console_prints_ids_and_purpose_never_the_text_or_the_number() -> None:
    out = io.StringIO()
    msg = Outgoing(to=REPORTER, channel="sms", body=SMS.body, label="outbox 12 reply")
    result = ConsoleProvider(stream=out).send(msg)
    line = out.getvalue()
    assert result.outcome is SendOutcome.SENT
    assert result.provider_message_id.startswith("CONSOLE-")
    assert line.count("\n") == 1
    assert "outbox 12 reply" in line
    assert "Laporan" not in line
    assert "K7Q2" not in line
    # At most the last two digits of the recipient.
    assert "…01" in line
    assert "808" not in line
    assert "0101" not in line
    assert ConsoleProvider(stream=out).find_sent(SMS, SINCE) is None


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"SIGAP_PROVIDER": "console"}, ConsoleProvider),
        ({"SIGAP_PROVIDER": "Console", "TWILIO_ACCOUNT_SID": ACCOUNT}, ConsoleProvider),
        ({"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": "t"}, TwilioProvider),
        (
            {"SIGAP_PROVIDER": "twilio", "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": "t"},
            TwilioProvider,
        ),
    ],
)
def test_make_provider(config: dict[str, str], expected: type) -> None:
    assert isinstance(make_provider(config), expected)


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"TWILIO_ACCOUNT_SID": ACCOUNT},
        {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": "  "},
        {"SIGAP_PROVIDER": "twilio"},
        {"SIGAP_PROVIDER": "pigeon", "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": "t"},
    ],
)
def test_the_console_is_never_chosen_silently(config: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="SIGAP_PROVIDER"):
        make_provider(config)


def test_make_provider_reads_senders() -> None:
    made = make_provider(
        {
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_AUTH_TOKEN": "t",
            "TWILIO_MESSAGING_SERVICE_SID": SERVICE,
            "TWILIO_WHATSAPP_FROM": f"whatsapp:{WA_FROM}",
            "TWILIO_SMS_FROM": "",
        }
    )
    assert isinstance(made, TwilioProvider)
    assert (made.sms_from, made.messaging_service_sid) == (None, SERVICE)
    assert made.whatsapp_from == f"whatsapp:{WA_FROM}"


def test_find_sent_pages_back_past_many_newer_messages() -> None:
    """An officer alerted a hundred times since: the first copy is on a later page."""
    newer = [
        listed(f"SMnewer{i:03d}", "Pesan lain", "Mon, 09 Mar 2026 05:00:00 +0000")
        for i in range(100)
    ]
    pages = iter(
        [
            respond(
                200,
                {
                    "messages": newer,
                    "next_page_uri": f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json?Page=1",
                    "page": 0,
                },
            ),
            page_of(listed("SMfirst", SMS.body, "Mon, 09 Mar 2026 04:00:30 +0000")),
        ]
    )
    sender, http = provider(lambda: next(pages)())
    assert sender.find_sent(SMS, SINCE) == "SMfirst"
    assert len(http.calls) == 2


@pytest.mark.parametrize(("code", "opted_out"), [(21610, True), (63016, False), (21211, False)])
def test_only_a_stop_reply_says_the_person_opted_out(code: int, opted_out: bool) -> None:
    result = provider(twilio_error(400, code))[0].send(SMS)
    assert result.is_opted_out is opted_out
