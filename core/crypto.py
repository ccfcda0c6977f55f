"""Encryption at rest for personal data, and keyed hashes to look it up without decrypting.

The data key (``SIGAP_DATA_KEY``) is a master secret; two subkeys are derived from it with
HKDF so that the encryption key and the lookup key are never the same bytes. Several keys may
be given, comma-separated, newest first: the first encrypts, all decrypt (key rotation).
"""

from __future__ import annotations

import hashlib
import hmac
from base64 import urlsafe_b64decode, urlsafe_b64encode

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

from core.config import ConfigError


def _derive(master: bytes, purpose: bytes) -> bytes:
    """Derive a 32-byte subkey of the master key for one purpose."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


class Keyring:
    """The data keys of this process: one to encrypt and hash with, older ones to read."""

    def __init__(self, data_key: str) -> None:
        masters = []
        for part in data_key.split(","):
            try:
                raw = urlsafe_b64decode(part.strip().encode())
            except ValueError:
                raw = b""
            if len(raw) != 32:
                raise ConfigError("SIGAP_DATA_KEY must be 32 bytes, urlsafe base64 encoded")
            masters.append(raw)
        fernets = [Fernet(urlsafe_b64encode(_derive(m, b"sigap/encrypt/v1"))) for m in masters]
        self._fernet = MultiFernet(fernets)
        self._lookup_keys = [_derive(m, b"sigap/lookup/v1") for m in masters]
        self._backup_keys = [_derive(m, b"sigap/backup/v1") for m in masters]

    def backup_keys(self) -> list[bytes]:
        """Keys for backup files: the first writes, all read (as with rotation)."""
        return list(self._backup_keys)

    def encrypt(self, plain: str) -> str:
        """Encrypt text with the newest key."""
        return self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, token: str) -> str:
        """Decrypt text written with any of the keys."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ConfigError("personal data cannot be decrypted with SIGAP_DATA_KEY") from None

    def encrypt_bytes(self, plain: bytes) -> bytes:
        """Encrypt a file's bytes with the newest key."""
        return self._fernet.encrypt(plain)

    def decrypt_bytes(self, token: bytes) -> bytes:
        """Decrypt a file's bytes written with any of the keys."""
        try:
            return self._fernet.decrypt(token)
        except InvalidToken:
            raise ConfigError("a file cannot be decrypted with SIGAP_DATA_KEY") from None

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the newest key."""
        return self._fernet.rotate(token.encode()).decode()

    def lookup_hash(self, value: str) -> str:
        """Keyed hash of a value (a normalised phone number) for equality lookups."""
        return hmac.new(self._lookup_keys[0], value.encode(), hashlib.sha256).hexdigest()

    def lookup_hashes(self, value: str) -> list[str]:
        """The keyed hash of a value under every key, newest first (for hashes not rehashed)."""
        return [hmac.new(k, value.encode(), hashlib.sha256).hexdigest() for k in self._lookup_keys]


_keyring: Keyring | None = None


def install(data_key: str) -> Keyring:
    """Make a keyring the one this process encrypts with."""
    global _keyring
    _keyring = Keyring(data_key)
    return _keyring


def keyring() -> Keyring:
    """Return the installed keyring."""
    if _keyring is None:
        raise RuntimeError("no data key installed: create the app first")
    return _keyring


def lookup_hash(value: str) -> str:
    """Keyed hash with the installed keyring."""
    return keyring().lookup_hash(value)


class Encrypted(TypeDecorator[str]):
    """A text column stored encrypted; reads give the plain text back."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: object) -> str | None:
        """Encrypt on the way in."""
        return None if value is None else keyring().encrypt(value)

    def process_result_value(self, value: str | None, dialect: object) -> str | None:
        """Decrypt on the way out."""
        return None if value is None else keyring().decrypt(value)
