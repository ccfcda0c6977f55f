"""Phone numbers: every form a reporter or Twilio writes becomes one E.164 number."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channels import ChannelError, mask_phone, normalize_phone


@pytest.mark.parametrize(
    "raw",
    [
        "080800000101",
        "0808 0000 0101",
        "0808-0000-0101",
        "(0808) 0000 0101",
        "6280800000101",
        "+6280800000101",
        "+62 808 0000 0101",
        "whatsapp:+6280800000101",
        "WhatsApp:+6280800000101",
        " +6280800000101 \n",
    ],
)
def test_indonesian_forms_become_one_number(raw: str) -> None:
    assert normalize_phone(raw) == "+6280800000101"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+44 7700 900123", "+447700900123"),
        ("whatsapp:+447700900123", "+447700900123"),
        ("+1 202-555-0142", "+12025550142"),
        ("07700 900123", "+447700900123"),
    ],
)
def test_foreign_numbers(raw: str, expected: str) -> None:
    region = "GB" if raw.startswith("0") else "ID"
    assert normalize_phone(raw, default_region=region) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "whatsapp:",
        "INFOPULSA",
        "1-800-FLOWERS",
        "12345",  # a short code, not a person
        "+1 555-0142",  # no area code
        "+62808000001010101",  # longer than E.164 allows
        "+6280800000101; DROP",
        "0808 0000 0101 ext. 5",
    ],
)
def test_impossible_numbers_are_bad_senders(raw: str) -> None:
    with pytest.raises(ChannelError) as caught:
        normalize_phone(raw)
    assert caught.value.code == "bad_sender"


@pytest.mark.parametrize(
    ("e164", "masked"),
    [
        ("+6280800000101", "+62808****0101"),
        ("+447700900123", "+44770***0123"),
        ("+12025550142", "+12025**0142"),
        ("+6221123", "+6****23"),
        ("+123", "+***"),
    ],
)
def test_mask_hides_the_middle(e164: str, masked: str) -> None:
    assert mask_phone(e164) == masked


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_anything_is_a_number_or_a_bad_sender(raw: str) -> None:
    try:
        e164 = normalize_phone(raw)
    except ChannelError as exc:
        code = exc.code
    else:
        code = None
        assert e164.startswith("+")
        assert e164[1:].isdigit()
        assert normalize_phone(e164) == e164
    assert code in (None, "bad_sender")
