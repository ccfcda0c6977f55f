"""The PIN staff add to close a case by SMS (`SELESAI REF PIN`): a forged number is not enough."""

from __future__ import annotations

import re

from werkzeug.security import check_password_hash, generate_password_hash

from models import Account

#: A PIN is typed on a keypad: 4 to 8 digits.
PIN_PATTERN = re.compile(r"\d{4,8}")
#: Wrong PINs in a row after which the account's PIN stops working until it is set again.
PIN_TRIES = 5


def set_pin(account: Account, pin: str) -> None:
    """Store a new PIN for an account, hashed, and forget earlier wrong tries."""
    if not PIN_PATTERN.fullmatch(pin):
        raise ValueError("a PIN is 4 to 8 digits")
    account.sms_pin_hash = generate_password_hash(pin)
    account.sms_pin_failures = 0


def check(account: Account, pin: str | None) -> bool:
    """Say whether `pin` is the account's PIN; count a wrong one (flushes nothing itself)."""
    failures = account.sms_pin_failures or 0
    if account.sms_pin_hash is None or failures >= PIN_TRIES:
        return False
    if pin and PIN_PATTERN.fullmatch(pin) and check_password_hash(account.sms_pin_hash, pin):
        account.sms_pin_failures = 0
        return True
    account.sms_pin_failures = failures + 1
    return False
