"""Console passwords, hashed with scrypt (memory-hard, in the standard library).

The stored form carries its own cost parameters, so raising the cost later leaves every
existing password working. 2**15 x 8 x 3 is one of OWASP's equivalent scrypt settings
(32 MiB a hash, about a tenth of a second).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

N, R, P = 2**15, 8, 3
#: Fewer characters than this are refused.
MIN_LENGTH = 10
_MAXMEM = 256 * 1024 * 1024


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=32)


def hash_password(password: str) -> str:
    """Return the stored form of a password: scrypt$n$r$p$salt$hash."""
    n, r, p = N, R, P
    salt = secrets.token_bytes(16)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(_scrypt(password, salt, n, r, p))}"


def verify_password(stored: str | None, password: str) -> bool:
    """Say whether a password matches its stored form (constant time)."""
    if not stored:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


def burn_time(password: str) -> None:
    """Spend what a check costs, so an unknown account answers as slowly as a known one."""
    _scrypt(password, b"0" * 16, N, R, P)


def problem(password: str) -> str | None:
    """Return the catalogue key saying what is wrong with a new password, or None."""
    if len(password) < MIN_LENGTH:
        return "console.password_too_short"
    return None
