"""Which provider sends each channel, from the configuration."""

from __future__ import annotations

from channels import (
    ConsoleProvider,
    Router,
    SmsGateProvider,
    TwilioProvider,
    WhatsAppCloudProvider,
    make_provider,
)

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


def test_smsgate_alone_leaves_whatsapp_to_the_console() -> None:
    made = make_provider(SMSGATE)
    assert isinstance(made, Router)
    assert isinstance(made.for_channel("whatsapp"), ConsoleProvider)


def test_smsgate_needs_all_three_settings() -> None:
    assert isinstance(make_provider({**SMSGATE, "SMSGATE_PASSWORD": ""}), ConsoleProvider)


def test_the_cloud_api_sends_whatsapp_when_configured() -> None:
    cloud = {"WHATSAPP_CLOUD_ACCESS_TOKEN": "t", "WHATSAPP_CLOUD_PHONE_NUMBER_ID": "1000"}
    made = make_provider({**cloud, **TWILIO})
    assert isinstance(made, Router)
    assert isinstance(made.for_channel("whatsapp"), WhatsAppCloudProvider)
    assert isinstance(made.for_channel("sms"), TwilioProvider)
