"""The real twilio client's requests, checked against Twilio's own spec by the mock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from channels import Outgoing, SendOutcome, TwilioProvider
from tests.twilio_mock import TwilioMock

pytestmark = pytest.mark.slow

ACCOUNT = "AC0000000000000000000000000000c0de"
MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
STATUS_URL = "https://sigap.example.org/webhooks/twilio/status"


@pytest.fixture
def twilio(twilio_mock: TwilioMock) -> Iterator[TwilioProvider]:
    """Return a provider sending to the mock with SMS, a messaging service and WhatsApp."""
    sender = TwilioProvider(
        ACCOUNT,
        "token",
        sms_from="+12025550100",
        whatsapp_from="+12025550188",
        api_base_url=twilio_mock.base_url,
    )
    yield sender
    sender.close()


@pytest.fixture
def service(twilio_mock: TwilioMock) -> Iterator[TwilioProvider]:
    """Return a provider sending SMS through a messaging service only."""
    sender = TwilioProvider(
        ACCOUNT,
        "token",
        messaging_service_sid="MG0000000000000000000000000000c0de",
        api_base_url=twilio_mock.base_url,
    )
    yield sender
    sender.close()


def send_and_check(mock: TwilioMock, sender: TwilioProvider, msg: Outgoing) -> None:
    """Send through the mock and check it was a request Twilio's spec accepts."""
    mark = mock.mark()
    result = sender.send(msg)
    assert result.outcome is SendOutcome.SENT, result.detail
    assert result.provider_message_id
    assert mock.requests_to(f"post {MESSAGES}", since=mark) == 1
    assert mock.rejected_count(since=mark) == 0, "\n".join(mock.log_lines(mark))


def test_sms(twilio_mock: TwilioMock, twilio: TwilioProvider) -> None:
    msg = Outgoing(to="+6280800000101", channel="sms", body="Laporan diterima. Nomor: K7Q2")
    send_and_check(twilio_mock, twilio, msg)


def test_sms_via_messaging_service(twilio_mock: TwilioMock, service: TwilioProvider) -> None:
    msg = Outgoing(
        to="+447700900123",
        channel="sms",
        body="SIGAP: kasus K7Q2 darurat di Sidera. Balas OK K7Q2.",
        validity_seconds=900,
        status_callback=STATUS_URL,
    )
    send_and_check(twilio_mock, service, msg)


def test_whatsapp_template(twilio_mock: TwilioMock, twilio: TwilioProvider) -> None:
    msg = Outgoing(
        to="+6280800000102",
        channel="whatsapp",
        body="",
        content_sid="HX0000000000000000000000000000c0de",
        content_variables={"1": "K7Q2", "2": "darurat"},
        status_callback=STATUS_URL,
    )
    send_and_check(twilio_mock, twilio, msg)


def test_a_request_the_spec_refuses_is_seen(
    twilio_mock: TwilioMock, twilio: TwilioProvider
) -> None:
    mark = twilio_mock.mark()
    msg = Outgoing(to="+6280800000103", channel="sms", body="x", status_callback="not a url")
    twilio_mock.expect_rejection()
    assert twilio.send(msg).outcome is SendOutcome.FINAL
    assert twilio_mock.rejected_count(since=mark) == 1


def test_find_sent_lists_with_a_valid_query(
    twilio_mock: TwilioMock, twilio: TwilioProvider
) -> None:
    # The mock answers every list with the spec's example page, whose first message is an
    # outbound "testing" sent on 24 May 2019.
    mark = twilio_mock.mark()
    msg = Outgoing(to="+6280800000104", channel="sms", body="testing")
    found = twilio.find_sent(msg, datetime(2019, 5, 24, 17, 0, tzinfo=UTC))
    assert found == "SMded05904ccb347238880ca9264e8fe1c"
    assert twilio_mock.requests_to(f"get {MESSAGES}", since=mark) == 1
    assert twilio_mock.rejected_count(since=mark) == 0
