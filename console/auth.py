"""Who is signed in to the console: sessions, their timeouts, CSRF and the sign-in limits.

The session is Flask's signed cookie (HttpOnly, SameSite=Lax, Secure over https). Every
request reloads the account, so a deactivated account or a changed password ends its
sessions at once.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any, TypeGuard

from flask import Flask, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask.wrappers import Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.scope import Caller
from channels import ChannelError, normalize_phone
from core.crypto import lookup_hash
from models import Account, LoginAttempt, Role

#: A session unused this long is over.
IDLE = timedelta(minutes=30)
#: A session is over this long after sign-in, however busy.
ABSOLUTE = timedelta(hours=12)
#: Failed sign-ins counted over this window.
WINDOW = timedelta(minutes=15)
#: Failures of one account, or from one address, before sign-in is refused for a while.
ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20
#: Roles that work in the console; facilitators use the phone app.
CONSOLE_ROLES = frozenset({Role.STAFF, Role.COORDINATOR, Role.ADMIN})


class ConsoleSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, marked Secure whenever the console is served over https."""

    def get_cookie_secure(self, app: Flask) -> bool:
        base = app.config.get("PUBLIC_BASE_URL") or ""
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or (
            request.is_secure or base.startswith("https://")
        )

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """An empty session at once when the request brings no cookie (every webhook).

        Flask would build the cookie's signing serializer first, on every request.
        """
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)


def configure(app: Flask) -> None:
    """Set the session cookie's flags and lifetime."""
    app.session_interface = ConsoleSessionInterface()
    app.config["SESSION_COOKIE_NAME"] = "sigap_console"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_PATH"] = "/console"
    app.config["PERMANENT_SESSION_LIFETIME"] = ABSOLUTE


# --- CSRF -----------------------------------------------------------------------------------


def csrf_token() -> str:
    """Return this session's CSRF token, making one on first use."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_ok() -> bool:
    """Say whether a form carries this session's CSRF token."""
    sent = request.form.get("csrf_token", "")
    have = session.get("csrf", "")
    return bool(have) and hmac.compare_digest(sent.encode(), have.encode())


# --- sign-in --------------------------------------------------------------------------------


def _key(value: str) -> str:
    return lookup_hash("console:" + value)


def find_account(session_: Session, typed: str) -> Account | None:
    """Find an account by its number or its registered phone number."""
    typed = typed.strip()
    if typed.isdigit() and len(typed) < 9:
        return session_.get(Account, int(typed))
    try:
        number = normalize_phone(typed)
    except ChannelError:
        return None
    return session_.scalar(select(Account).where(Account.phone_hash == lookup_hash(number)))


def account_key(typed: str) -> str:
    """The keyed hash the limits count an account under (what was typed, normalised)."""
    return _key("account:" + "".join(typed.split()).lower())


def address_key(address: str | None) -> str:
    return _key("address:" + (address or "-"))


def _failures(session_: Session, column: Any, value: str, now: datetime) -> int:
    found = session_.scalar(
        select(func.count()).where(
            column == value, LoginAttempt.at > now - WINDOW, LoginAttempt.is_success.is_(False)
        )
    )
    return found or 0


def is_limited(session_: Session, typed: str, address: str | None, now: datetime) -> bool:
    """Say whether sign-in is refused for now: too many failures for the account or address."""
    return (
        _failures(session_, LoginAttempt.account_key, account_key(typed), now) >= ACCOUNT_LIMIT
        or _failures(session_, LoginAttempt.address, address_key(address), now) >= ADDRESS_LIMIT
    )


def record_attempt(
    session_: Session, typed: str, address: str | None, now: datetime, success: bool
) -> None:
    session_.add(
        LoginAttempt(
            at=now, account_key=account_key(typed), address=address_key(address), is_success=success
        )
    )
    session_.flush()


def may_sign_in(account: Account | None) -> TypeGuard[Account]:
    return account is not None and account.is_active and account.role in CONSOLE_ROLES


def start(account: Account, now: datetime, lang: str | None) -> None:
    """Begin a fresh session for an account (a new cookie, a new CSRF token)."""
    session.clear()
    session.permanent = True
    session["account_id"] = account.id
    session["signed_in_at"] = now.timestamp()
    session["seen_at"] = now.timestamp()
    if lang:
        session["lang"] = lang
    csrf_token()


def end() -> None:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def current(session_: Session, now: datetime) -> Caller | None:
    """Return the signed-in caller, or None (ending a session that is over)."""
    account_id = session.get("account_id")
    if account_id is None:
        return None
    account = session_.get(Account, account_id)
    signed_in = datetime.fromtimestamp(session.get("signed_in_at", 0), now.tzinfo)
    seen = datetime.fromtimestamp(session.get("seen_at", 0), now.tzinfo)
    if (
        not may_sign_in(account)
        or now - seen > IDLE
        or now - signed_in > ABSOLUTE
        or (account.password_changed_at is not None and account.password_changed_at > signed_in)
    ):
        end()
        return None
    session["seen_at"] = now.timestamp()
    return Caller(account, account.agency)


def caller() -> Caller:
    return g.caller


def client_address() -> str | None:
    return request.remote_addr
