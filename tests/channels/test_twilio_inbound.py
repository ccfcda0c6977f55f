"""Twilio webhooks in: one table of real-shaped payloads, run against both route kinds."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import ImmutableMultiDict

from channels import CHANNELS, ChannelError, DeliveryStatus, MediaRef, channel_for
from channels.base import CHANNEL_KINDS
from channels.twilio import STATUS_MAP, TwilioChannel, is_twilio_media_url, twiml_reply

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "twilio"
TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC_URL = "https://sigap.example.org/webhooks/twilio/sms"
MEDIA_BASE = (
    "https://api.twilio.com/2010-04-01/Accounts/AC0000000000000000000000000000c0de"
    "/Messages/MM1a2b3c4d5e6f708192a3b4c5d6e7f804/Media/"
)
LONG_TEXT = (
    "Saya mau melapor, ada perempuan muda dijanjikan kerja di luar negeri tapi paspornya "
    "ditahan agen. "
) * 20


@dataclass(frozen=True)
class Case:
    label: str
    fixture: str
    parse: Literal["inbound", "status"]
    expect: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


CASES = [
    Case("plain sms", "sms_plain.txt", "inbound", {
        "provider_message_id": "SM1a2b3c4d5e6f708192a3b4c5d6e7f801",
        "sender": "+6280800000101",
        "recipient": "+12025550100",
        "text": "LAPOR KDRT desa Sidera, tetangga sy dipukul suaminya tadi malam",
        "media": (),
        "profile_name": None,
        "button_payload": None,
    }),
    Case("emoji", "sms_emoji.txt", "inbound", {
        "text": "Tolong 🙏 ada anak kecil dikunci di rumah kosong dekat pasar 😢",
    }),
    Case("1,600-char body", "sms_long_1600.txt", "inbound", {
        "sender": "+447700900123",
        "text": LONG_TEXT[:1600],
    }),
    Case("media only", "mms_media_only.txt", "inbound", {
        "provider_message_id": "MM1a2b3c4d5e6f708192a3b4c5d6e7f804",
        "text": "",
        "media": (
            MediaRef(MEDIA_BASE + "ME1a2b3c4d5e6f708192a3b4c5d6e7f901", "image/jpeg"),
            MediaRef(MEDIA_BASE + "ME1a2b3c4d5e6f708192a3b4c5d6e7f902", "audio/ogg"),
        ),
    }),
    Case("empty body, no media", "sms_empty_body.txt", "inbound", {"text": "", "media": ()}),
    Case("whatsapp profile and button", "wa_profile_button.txt", "inbound", {
        "sender": "+6280800000105",
        "recipient": "+12025550188",
        "text": "Darurat",
        "profile_name": "Ibu Rina",
        "button_payload": "menu_darurat",
    }),
    Case("whatsapp profile, text", "wa_profile_text.txt", "inbound", {
        "text": "BANTUAN",
        "profile_name": "Pak Dedi 🌾",
        "button_payload": None,
    }),
    Case("missing MessageSid", "missing_message_sid.txt", "inbound", error="missing_field"),
    Case("missing From", "missing_from.txt", "inbound", error="missing_field"),
    Case("alphanumeric sender", "bad_sender_alphanumeric.txt", "inbound", error="bad_sender"),
    Case("body over 4,096 chars", "too_long_body.txt", "inbound", error="too_large"),
    Case("NumMedia without MediaUrl0", "media_count_missing_url.txt", "inbound",
         error="missing_field"),
    *[
        Case(f"status {raw}", f"status_{raw}.txt", "status", {"status": status})
        for raw, status in STATUS_MAP.items()
    ],
    Case("status failed with ErrorCode", "status_failed.txt", "status", {
        "provider_message_id": "SM2a2b3c4d5e6f708192a3b4c5d6e7f808",
        "status": DeliveryStatus.FAILED,
        "error_code": 30008,
    }),
    Case("status delivered, no ErrorCode", "status_delivered.txt", "status", {
        "error_code": None,
    }),
    Case("status opted out (21610)", "status_failed_21610.txt", "status", {
        "status": DeliveryStatus.FAILED,
        "error_code": 21610,
        "is_opted_out": True,
    }),
    Case("unknown status", "status_unknown.txt", "status", error="unknown_status"),
    Case("status without sid", "status_missing_sid.txt", "status", error="missing_field"),
]  # fmt: skip


def load(name: str) -> dict[str, str]:
    """Return a fixture's form fields, as Twilio would post them."""
    text = (FIXTURES / name).read_text(encoding="utf-8").strip()
    return dict(parse_qsl(text, keep_blank_values=True))


def as_kind(form: dict[str, str], kind: str) -> dict[str, str]:
    """Return the payload addressed the way Twilio addresses it on that channel."""
    readdressed = dict(form)
    for name in ("From", "To"):
        if name in form:
            bare = form[name].removeprefix("whatsapp:")
            readdressed[name] = f"whatsapp:{bare}" if kind == "whatsapp" else bare
    return readdressed


def parse(case: Case, kind: str) -> Any:
    """Run the case's parser for one channel kind."""
    channel = channel_for(kind)
    form = as_kind(load(case.fixture), kind)
    return channel.parse_inbound(form) if case.parse == "inbound" else channel.parse_status(form)


@pytest.mark.parametrize("kind", CHANNEL_KINDS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.label)
def test_payload(case: Case, kind: str) -> None:
    if case.error:
        with pytest.raises(ChannelError) as caught:
            parse(case, kind)
        assert caught.value.code == case.error
        return
    result = parse(case, kind)
    for name, expected in case.expect.items():
        assert getattr(result, name) == expected, name
    if case.parse == "inbound":
        assert result.channel == kind
        assert result.provider == "twilio"


@pytest.mark.parametrize("kind", CHANNEL_KINDS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.label)
def test_every_payload_needs_its_signature(case: Case, kind: str) -> None:
    form = as_kind(load(case.fixture), kind)
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC_URL, form)
    assert channel_for(kind).verify_signature(TOKEN, PUBLIC_URL, form, signature)
    assert not channel_for(kind).verify_signature("another-token", PUBLIC_URL, form, signature)


def test_whatsapp_sender_on_the_sms_route_is_answered_on_whatsapp() -> None:
    message = CHANNELS["sms"].parse_inbound(load("wa_profile_button.txt"))
    assert message.channel == "whatsapp"
    assert message.sender == "+6280800000105"


def test_unknown_channel_is_refused() -> None:
    with pytest.raises(ChannelError) as caught:
        channel_for("telegram")
    assert caught.value.code == "unknown_channel"
    with pytest.raises(ValueError, match="telegram"):
        TwilioChannel("telegram")  # type: ignore[arg-type]


def test_media_count_above_twilio_limit_is_too_large() -> None:
    form = load("mms_media_only.txt") | {"NumMedia": "11"}
    with pytest.raises(ChannelError) as caught:
        CHANNELS["sms"].parse_inbound(form)
    assert caught.value.code == "too_large"


def test_non_numeric_num_media_is_a_bad_field() -> None:
    with pytest.raises(ChannelError) as caught:
        CHANNELS["sms"].parse_inbound(load("sms_plain.txt") | {"NumMedia": "dua"})
    assert caught.value.code == "bad_field"


@pytest.mark.parametrize(
    ("url", "is_twilio"),
    [
        (MEDIA_BASE + "ME1a2b3c4d5e6f708192a3b4c5d6e7f901", True),
        ("https://media.twiliocdn.com/AC0000/abc.jpg", True),
        ("https://s3-external-1.twiliocdn.com/abc.jpg", True),
        ("https://api.twilio.com:443/2010-04-01/x", True),
        ("http://api.twilio.com/2010-04-01/x", False),
        ("https://api.twilio.com.evil.example/x", False),
        ("https://evil.example/?u=https://api.twilio.com/", False),
        ("https://api.twilio.com@evil.example/x", False),
        ("https://user:pw@api.twilio.com/x", False),
        ("https://api.twilio.com:8443/x", False),
        ("https://twiliocdn.com.evil.example/x", False),
        ("https://eviltwiliocdn.com/x", False),
        ("ftp://media.twiliocdn.com/x", False),
        ("https://[::1/x", False),
        ("", False),
    ],
)
def test_only_twilio_media_hosts_are_fetchable(url: str, is_twilio: bool) -> None:
    assert is_twilio_media_url(url) is is_twilio


def test_twiml_reply_with_text() -> None:
    xml = twiml_reply("Laporan diterima. Nomor: K7Q2")
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert "<Response><Message>Laporan diterima. Nomor: K7Q2</Message></Response>" in xml


def test_twiml_reply_escapes_markup() -> None:
    assert "<Message>a &lt;b&gt; &amp; c</Message>" in twiml_reply("a <b> & c")


@pytest.mark.parametrize("text", [None, ""])
def test_twiml_reply_without_text_is_an_empty_response(text: str | None) -> None:
    assert twiml_reply(text).endswith("<Response />")


def signed(url: str = PUBLIC_URL) -> tuple[dict[str, str], str]:
    """Return a plain SMS payload and the signature Twilio would send for it at `url`."""
    form = load("sms_plain.txt")
    return form, RequestValidator(TOKEN).compute_signature(url, form)


def test_signature_from_twilio_is_accepted() -> None:
    form, signature = signed()
    assert CHANNELS["sms"].verify_signature(TOKEN, PUBLIC_URL, form, signature)


def test_signature_over_a_flask_multidict() -> None:
    form, signature = signed()
    assert CHANNELS["sms"].verify_signature(TOKEN, PUBLIC_URL, ImmutableMultiDict(form), signature)


@pytest.mark.parametrize("signature", [None, ""])
def test_missing_signature_is_refused_without_error(signature: str | None) -> None:
    form, _ = signed()
    assert not CHANNELS["sms"].verify_signature(TOKEN, PUBLIC_URL, form, signature)


def test_wrong_token_is_refused() -> None:
    form, signature = signed()
    assert not CHANNELS["sms"].verify_signature("not-the-token", PUBLIC_URL, form, signature)


def test_empty_token_is_refused() -> None:
    form = load("sms_plain.txt")
    signature = RequestValidator("").compute_signature(PUBLIC_URL, form)
    assert not CHANNELS["sms"].verify_signature("", PUBLIC_URL, form, signature)


def test_one_changed_parameter_is_refused() -> None:
    form, signature = signed()
    form["Body"] = "BATAL"
    assert not CHANNELS["sms"].verify_signature(TOKEN, PUBLIC_URL, form, signature)


def test_an_added_parameter_is_refused() -> None:
    form, signature = signed()
    form["MediaUrl0"] = "https://evil.example/x.jpg"
    assert not CHANNELS["sms"].verify_signature(TOKEN, PUBLIC_URL, form, signature)


def test_proxy_hop_url_does_not_verify_but_the_public_one_does() -> None:
    # Twilio signs the https URL it called; a TLS proxy forwards plain http to the app.
    form, signature = signed("https://sigap.example.org/webhooks/twilio/sms")
    hop = "http://sigap.example.org/webhooks/twilio/sms"
    assert not CHANNELS["sms"].verify_signature(TOKEN, hop, form, signature)
    assert CHANNELS["sms"].verify_signature(TOKEN, PUBLIC_URL, form, signature)


@pytest.mark.parametrize(
    ("signed_at", "checked_at"),
    [
        ("https://sigap.example.org:443/webhooks/twilio/sms", PUBLIC_URL),
        (PUBLIC_URL, "https://sigap.example.org:443/webhooks/twilio/sms"),
    ],
)
def test_default_port_in_the_url_does_not_matter(signed_at: str, checked_at: str) -> None:
    form, signature = signed(signed_at)
    assert CHANNELS["sms"].verify_signature(TOKEN, checked_at, form, signature)


def test_a_different_path_is_refused() -> None:
    form, signature = signed()
    other = "https://sigap.example.org/webhooks/twilio/whatsapp"
    assert not CHANNELS["sms"].verify_signature(TOKEN, other, form, signature)


def test_parse_accepts_a_flask_multidict() -> None:
    message = CHANNELS["sms"].parse_inbound(ImmutableMultiDict(load("mms_media_only.txt")))
    assert len(message.media) == 2


FIELDS = ["MessageSid", "From", "To", "Body", "NumMedia", "MediaUrl0", "MessageStatus", "ErrorCode"]


@given(
    st.dictionaries(st.sampled_from(FIELDS), st.text(max_size=20)), st.sampled_from(CHANNEL_KINDS)
)
def test_any_form_parses_or_fails_with_a_code(form: dict[str, str], kind: str) -> None:
    for parser in (CHANNELS[kind].parse_inbound, CHANNELS[kind].parse_status):
        try:
            parser(form)
        except ChannelError as exc:
            code = exc.code
        else:
            code = "parsed"
        assert code, "a ChannelError always says why"
