"""Phone numbers as SIGAP stores them: E.164, whatever form a person or provider wrote."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

from channels.base import ChannelError

# Providers address chat channels as "<channel>:<number>"; the number is what identifies
# the person across channels.
_ADDRESS_PREFIXES = ("whatsapp:", "tel:", "sms:")
# Letters are refused because phonenumbers would read "1-800-FLOWERS" as digits, and a
# sender name such as an operator's alphanumeric ID is not a person we can answer.
_DIALLABLE = re.compile(r"\+?[0-9(][0-9 ().-]*")
_E164_MAX_DIGITS = 15


def _strip_prefix(raw: str) -> str:
    """Return the number part of a provider address such as `whatsapp:+62...`."""
    text = raw.strip()
    lowered = text.lower()
    for prefix in _ADDRESS_PREFIXES:
        if lowered.startswith(prefix):
            return text[len(prefix) :].strip()
    return text


#: Distinct numbers remembered: a reporter writes again and again, from the same number.
_REMEMBERED = 4096


@lru_cache(maxsize=_REMEMBERED)
def normalize_phone(raw: str, default_region: str = "ID") -> str:
    """Return `raw` as an E.164 number, or raise ChannelError("bad_sender").

    Parsed once per distinct number (a small bounded cache): parsing is most of the CPU a
    webhook spends outside the database. A refusal is never cached.
    """
    text = _strip_prefix(raw or "")
    if not _DIALLABLE.fullmatch(text):
        raise ChannelError("bad_sender", "not a phone number")
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as exc:
        raise ChannelError("bad_sender", "not a phone number") from exc
    # "Possible" rather than "valid": numbering plans change faster than the library, and
    # tests rely on unallocated ranges. Local-only lengths (no area code) are refused.
    reason = phonenumbers.is_possible_number_with_reason(number)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE or len(e164) - 1 > _E164_MAX_DIGITS:
        raise ChannelError("bad_sender", "not a possible phone number")
    return e164


def mask_phone(e164: str) -> str:
    """Return the number with its middle hidden, e.g. `+62808****0101`, for logs and consoles."""
    digits = e164.removeprefix("+")
    head, tail = (5, 4) if len(digits) >= 10 else (1, 2)
    if len(digits) <= head + tail:
        return "+" + "*" * len(digits)
    hidden = "*" * (len(digits) - head - tail)
    return f"+{digits[:head]}{hidden}{digits[-tail:]}"
