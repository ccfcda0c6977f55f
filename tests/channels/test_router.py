"""Which provider sends each channel, from the configuration."""

from __future__ import annotations

from dataclasses import replace

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
    message_facts,
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


def test_a_reply_leaves_by_the_provider_its_person_wrote_to() -> None:
    made = make_provider({**SMSGATE, **TWILIO})
    assert isinstance(made, Router)

    def chosen(channel: str, via: str | None) -> object:
        return made.provider_for(Outgoing(channel=channel, to="+6280800000001", body="x", via=via))

    assert isinstance(chosen("sms", "twilio"), TwilioProvider)
    assert isinstance(chosen("sms", "smsgate"), SmsGateProvider)
    assert isinstance(chosen("sms", None), SmsGateProvider)  # alerts: by channel
    # A provider not configured, or one that cannot send the channel: by channel.
    assert isinstance(chosen("sms", "whatsapp_cloud"), SmsGateProvider)
    assert isinstance(chosen("whatsapp", "smsgate"), TwilioProvider)
    twilio_reply = Outgoing(channel="sms", to="+6280800000001", body="x", via="twilio")
    assert message_facts(made, twilio_reply).status_path == "/webhooks/twilio/status"
    assert message_facts(made, replace(twilio_reply, via=None)).status_path is None
