"""What a provider asks of messages, said in neutral values the outbox can act on."""

from __future__ import annotations

import pytest

from channels import ChannelFacts, ConsoleProvider, TwilioProvider, facts_of, is_trusted_url


def test_twilio_reports_its_cap_callback_template_and_media_hosts() -> None:
    twilio = TwilioProvider("AC0000000000000000000000000000c0de", "token", sms_from="+12025550100")
    sms, whatsapp = facts_of(twilio, "sms"), facts_of(twilio, "whatsapp")
    assert sms.validity_cap == 36000
    assert sms.status_callback("https://sigap.example.org/") == (
        "https://sigap.example.org/webhooks/twilio/status"
    )
    assert (sms.needs_template, whatsapp.needs_template) == (False, True)
    assert is_trusted_url("https://media.twiliocdn.com/x", whatsapp.media_hosts)


def test_a_provider_that_says_nothing_asks_nothing() -> None:
    facts = facts_of(ConsoleProvider(), "sms")
    assert facts == ChannelFacts()
    assert facts.status_callback("https://sigap.example.org") is None
    assert facts_of(object(), "whatsapp").validity_cap is None


@pytest.mark.parametrize(
    ("url", "trusted"),
    [
        ("https://lookaside.example.net/m/1", True),
        ("https://cdn.example.net/m/1", True),  # a subdomain of a "." entry
        ("https://example.net.evil.test/m/1", False),
        ("http://lookaside.example.net/m/1", False),
        ("https://user:pw@lookaside.example.net/m/1", False),
        ("https://lookaside.example.net:8443/m/1", False),
        ("https://10.0.0.1/m/1", False),
    ],
)
def test_trusted_media_urls(url: str, trusted: bool) -> None:
    assert is_trusted_url(url, frozenset({"lookaside.example.net", ".example.net"})) is trusted
