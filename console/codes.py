"""One-time sign-in codes by SMS: the second way into the console, for staff without e-mail.

A code is six digits, lives five minutes, works once, and goes through the outbox to the
account's registered phone like every other message. At most three are sent to an account
in the limits' window; wrong codes count as failed sign-ins.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alerts import outbox
from console import auth, i18n
from core.crypto import lookup_hash
from models import Account, LoginCode, Purpose

LIFETIME = timedelta(minutes=5)
SENDS_PER_WINDOW = 3


def _hash(account_id: int, code: str) -> str:
    return lookup_hash(f"console-code:{account_id}:{code}")


def send(session: Session, account: Account, now: datetime) -> bool:
    """Write a new code for an account to its phone; False when none may be sent now."""
    if not auth.may_sign_in(account) or not account.phone:
        return False
    recent = session.scalar(
        select(func.count()).where(
            LoginCode.account_id == account.id, LoginCode.created_at > now - auth.WINDOW
        )
    )
    if (recent or 0) >= SENDS_PER_WINDOW:
        return False
    code = f"{secrets.randbelow(10**6):06d}"
    row = LoginCode(
        account_id=account.id,
        code_hash=_hash(account.id, code),
        created_at=now,
        expires_at=now + LIFETIME,
    )
    session.add(row)
    session.flush()
    body = i18n.t("console.sms_code", code=code)
    key = f"login-code:{row.id}"
    outbox.enqueue_to(session, account, key=key, purpose=Purpose.LOGIN_CODE, body=body, now=now)
    return True


def redeem(session: Session, account: Account | None, code: str, now: datetime) -> bool:
    """Use a code: True (and never again) when it is the account's, unexpired and unused."""
    if account is None:
        return False
    typed = "".join(code.split())
    rows = session.scalars(
        select(LoginCode).where(
            LoginCode.account_id == account.id,
            LoginCode.used_at.is_(None),
            LoginCode.expires_at > now,
        )
    ).all()
    wanted = _hash(account.id, typed)
    for row in rows:
        if hmac.compare_digest(row.code_hash, wanted):
            row.used_at = now
            session.flush()
            return True
    return False
