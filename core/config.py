"""Configuration from the environment (and `.env`), with keys generated into `instance/`."""

from __future__ import annotations

import os
import secrets
import stat
from base64 import urlsafe_b64encode
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"

DEFAULTS: dict[str, str | None] = {
    "DATABASE_URL": "sqlite:///instance/sigap.db",
    "SECRET_KEY": None,
    "SIGAP_DATA_KEY": None,
    "TWILIO_ACCOUNT_SID": None,
    "TWILIO_AUTH_TOKEN": None,
    "TWILIO_SMS_FROM": None,
    "TWILIO_MESSAGING_SERVICE_SID": None,
    "TWILIO_WHATSAPP_FROM": None,
    "TWILIO_API_BASE_URL": None,
    "PUBLIC_BASE_URL": None,
    "SMSGATE_SIGNING_KEY": None,
    "SMSGATE_API_URL": None,
    "SMSGATE_USERNAME": None,
    "SMSGATE_PASSWORD": None,
    "WHATSAPP_CLOUD_APP_SECRET": None,
    "WHATSAPP_CLOUD_VERIFY_TOKEN": None,
    "WHATSAPP_CLOUD_ACCESS_TOKEN": None,
    "WHATSAPP_CLOUD_PHONE_NUMBER_ID": None,
    "WHATSAPP_CLOUD_API_BASE_URL": None,
    #: An approved WhatsApp Cloud API template name for alerts (its language: id).
    "WHATSAPP_CLOUD_ALERT_TEMPLATE": None,
    "SIGAP_TIMEZONE": "Asia/Makassar",
    "SIGAP_PROVINCES": "72",
    #: An approved WhatsApp template (Twilio Content SID) for alerts; unset: alerts go by SMS.
    "SIGAP_WA_ALERT_CONTENT_SID": None,
    #: Seconds a SQLite writer waits for the lock before the webhook spools the message.
    "SIGAP_SQLITE_BUSY_SECONDS": "5",
    #: Messages from one sender interpreted per clock hour; more are stored and held.
    "SIGAP_SENDER_LIMIT_PER_HOUR": "20",
    #: Messages from one sender interpreted in the last 24 clock hours; more are held.
    "SIGAP_SENDER_LIMIT_PER_DAY": "100",
    #: Senders never seen before who get a reply each clock hour; later ones get none.
    "SIGAP_NEW_SENDER_REPLIES_PER_HOUR": "500",
    #: Days a processed raw inbound message (and a leftover spool file) is kept, then purged.
    "SIGAP_RETENTION_DAYS": "90",
    #: Seconds the scheduler's leadership lasts unrenewed: how long a standby waits after
    #: the leader died (it renews every quarter of this).
    "SIGAP_SCHEDULER_LEASE_SECONDS": "60",
}


class ConfigError(Exception):
    """Configuration that stops the service at start, said in one line."""


def instance_dir() -> Path:
    """Where generated keys, the SQLite file and the spool live (SIGAP_INSTANCE overrides)."""
    return Path(os.environ.get("SIGAP_INSTANCE") or INSTANCE)


def _generated_key(name: str, make: Callable[[], str]) -> str:
    """Read a key file from instance/, creating it owner-only on first run."""
    path = instance_dir() / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
        with os.fdopen(fd, "w") as f:
            f.write(make())
    try:
        value = path.read_text().strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not a text file"
        raise ConfigError(f"cannot read key file {path}: {reason}") from None
    if not value:
        raise ConfigError(f"key file {path} is empty")
    return value


def _sqlite_url_absolute(url: str) -> str:
    """Make a relative SQLite path relative to the project, not the working directory."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        return prefix + str(ROOT / url[len(prefix) :])
    return url


def load(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the configuration: defaults < .env < environment < overrides."""
    dotenv = {k: v for k, v in dotenv_values(ROOT / ".env").items() if v is not None}
    config: dict[str, Any] = {}
    for key, default in DEFAULTS.items():
        config[key] = os.environ.get(key, dotenv.get(key, default)) or default
    config.update(overrides or {})
    config["DATABASE_URL"] = _sqlite_url_absolute(config["DATABASE_URL"])
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _generated_key("secret_key", lambda: secrets.token_urlsafe(48))
    if not config.get("SIGAP_DATA_KEY"):
        config["SIGAP_DATA_KEY"] = _generated_key(
            "sigap_data_key", lambda: urlsafe_b64encode(secrets.token_bytes(32)).decode()
        )
    config["PROVINCES"] = [p.strip() for p in config["SIGAP_PROVINCES"].split(",") if p.strip()]
    _positive_seconds(config, "SIGAP_SCHEDULER_LEASE_SECONDS")
    return config


def _positive_seconds(config: dict[str, Any], key: str) -> None:
    """Refuse a duration that is not a number of seconds above zero."""
    try:
        ok = float(config[key]) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ConfigError(f"{key} must be a number of seconds above 0, not {config[key]!r}")
