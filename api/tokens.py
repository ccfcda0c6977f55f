"""Bearer tokens: issue one, revoke it, and find whose it is from a request's header."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import ApiError
from models import Account, ApiToken

#: Tells a SIGAP token apart from other secrets (and lets secret scanners find leaked ones).
PREFIX = "sigap_"
#: How long a token lasts when its maker does not say: a lost phone's token ends by itself.
DEFAULT_DAYS = 90
#: The longest a token may last (ten years): beyond it dates stop being dates.
MAX_DAYS = 3650


def token_hash(token: str) -> str:
    """Return the stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue(
    session: Session, account: Account, now: datetime, days: int = DEFAULT_DAYS
) -> tuple[ApiToken, str]:
    """Create a token for an account; return the row and the token, which is never stored."""
    token = PREFIX + secrets.token_urlsafe(32)
    expires = now + timedelta(days=days)
    row = ApiToken(
        account=account, token_hash=token_hash(token), created_at=now, expires_at=expires
    )
    session.add(row)
    session.flush()
    return row, token


def revoke(session: Session, token_id: int, now: datetime) -> ApiToken | None:
    """Revoke a token from now on; return it, or None when there is no such token."""
    row = session.get(ApiToken, token_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
        session.flush()
    return row


def _unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message)


def bearer(header: str | None) -> str:
    """Return the token of an `Authorization: Bearer ...` header, or raise 401."""
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("unauthorized", "Send Authorization: Bearer <token>.")
    return token.strip()


def authenticate(session: Session, token: str, now: datetime) -> Account:
    """Return the active account a token belongs to, or raise 401 saying why not."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    if row is None:
        raise _unauthorized("invalid_token", "The token is not known.")
    if row.revoked_at is not None:
        raise _unauthorized("token_revoked", "The token was revoked.")
    if row.expires_at is not None and row.expires_at <= now:
        raise _unauthorized("token_expired", "The token has expired.")
    if not row.account.is_active:
        raise _unauthorized("account_inactive", "The token's account is not active.")
    return row.account
