"""Which provider sends each channel, from the configuration."""

from __future__ import annotations

import pytest

from channels import (
    ConsoleProvider,
    Outgoing,
    Router,
    SendOutcome,
    SmsGateProvider,
    TwilioProvider,
    WhatsAppCloudProvider,
    make_provider,
)
from core.config import ConfigError

SMSGATE = {
    "SMSGATE_API_URL": "http://192.0.2.10:8080",
    "SMSGATE_USERNAME": "sigap",
    "SMSGATE_PASSWORD": "pw",
}
TWILIO = {"TWILIO_ACCOUNT_SID": "AC0000000000000000000000000000c0de", "TWILIO_AUTH_TOKEN": "t"}


def test_smsgate_sends_sms_and_twilio_the_rest() -> None:
    made = make_provider({**SMSGATE, **TWILIO})
    assert isinstance(made, Router)
    assert isinstance(made.for_channel("sms"), SmsGateProvider)
    assert isinstance(made.for_channel("whatsapp"), TwilioProvider)


def test_smsgate_alone_sends_whatsapp_messages_back_to_sms() -> None:
    made = make_provider(SMSGATE)
    assert isinstance(made, Router)
    sent = made.for_channel("whatsapp").send(
        Outgoing(channel="whatsapp", to="whatsapp:+6280800000001", body="x")
    )
    assert sent.outcome == SendOutcome.NEXT_CHANNEL  # the outbox tries SMS instead


def test_smsgate_needs_all_three_settings() -> None:
    with pytest.raises(ConfigError, match="no provider"):
        make_provider({**SMSGATE, "SMSGATE_PASSWORD": ""})
    chosen = make_provider({**SMSGATE, "SMSGATE_PASSWORD": "", "SIGAP_PROVIDER": "console"})
    assert isinstance(chosen, ConsoleProvider)


def test_the_cloud_api_sends_whatsapp_when_configured() -> None:
    cloud = {"WHATSAPP_CLOUD_ACCESS_TOKEN": "t", "WHATSAPP_CLOUD_PHONE_NUMBER_ID": "1000"}
    made = make_provider({**cloud, **TWILIO})
    assert isinstance(made, Router)
    assert isinstance(made.for_channel("whatsapp"), WhatsAppCloudProvider)
    assert isinstance(made.for_channel("sms"), TwilioProvider)
