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

DEFAULTS: dict[str, str | None] = {
    #: Unset: `sigap.db` in the instance folder.
    "DATABASE_URL": None,
    "SECRET_KEY": None,
    "SIGAP_DATA_KEY": None,
    "TWILIO_ACCOUNT_SID": None,
    "TWILIO_AUTH_TOKEN": None,
    "TWILIO_SMS_FROM": None,
    "TWILIO_MESSAGING_SERVICE_SID": None,
    "TWILIO_WHATSAPP_FROM": None,
    "TWILIO_API_BASE_URL": None,
    "PUBLIC_BASE_URL": None,
    #: `twilio` or `console`; unset: Twilio when its credentials are set, else no sending.
    "SIGAP_PROVIDER": None,
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
    #: The API's limits per token and per facilitator (api/limits.py).
    "SIGAP_API_REQUESTS_PER_MINUTE": "60",
    "SIGAP_API_REQUESTS_PER_DAY": "2000",
    "SIGAP_API_REPORTS_PER_DAY": "300",
    "SIGAP_API_EMERGENCIES_PER_BATCH": "10",
    "SIGAP_API_JOINS_PER_CASE_PER_DAY": "20",
    #: Seconds the scheduler's leadership lasts unrenewed: how long a standby waits after
    #: the leader died (it renews every quarter of this).
    "SIGAP_SCHEDULER_LEASE_SECONDS": "60",
    #: Where the nightly backup job writes (empty: instance/backups) and how many it keeps.
    "SIGAP_BACKUP_DIR": "",
    "SIGAP_BACKUP_KEEP": "7",
    #: Log lines as JSON objects ("json") or as plain text for a terminal ("plain").
    "SIGAP_LOG_FORMAT": "json",
}


class ConfigError(Exception):
    """Configuration that stops the service at start, said in one line."""


def _dotenv() -> dict[str, str]:
    """The settings of the project's `.env` file, when there is one."""
    return {k: v for k, v in dotenv_values(ROOT / ".env").items() if v is not None}


def instance_dir() -> Path:
    """Where generated keys, the SQLite file and the spool live (SIGAP_INSTANCE overrides).

    Read like every other setting: the environment first, then `.env`. A relative path is
    taken from the project folder, as the default is.
    """
    value = os.environ.get("SIGAP_INSTANCE") or _dotenv().get("SIGAP_INSTANCE")
    return ROOT / value if value else ROOT / "instance"


def private_dir(path: Path) -> Path:
    """Make a folder only its owner may enter (0700), with any missing parents."""
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    # What the instance holds (keys, the database, the spool) is nobody else's to list.
    if stat.S_IMODE(path.stat().st_mode) & 0o077 and path.stat().st_uid == os.getuid():
        path.chmod(0o700)
    return path


def _generated_key(name: str, make: Callable[[], str]) -> str:
    """Read a key file from instance/, creating it owner-only on first run."""
    path = instance_dir() / name
    if not path.exists():
        private_dir(path.parent)
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
    dotenv = _dotenv()
    config: dict[str, Any] = {}
    for key, default in DEFAULTS.items():
        config[key] = os.environ.get(key, dotenv.get(key, default)) or default
    config.update(overrides or {})
    # Keys, the SQLite file and the spool live here: nobody else's to list or read.
    instance = private_dir(instance_dir())
    url = config["DATABASE_URL"] or f"sqlite:///{instance / 'sigap.db'}"
    config["DATABASE_URL"] = _sqlite_url_absolute(url)
    _twilio_needs_public_url(config)
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _generated_key("secret_key", lambda: secrets.token_urlsafe(48))
    if not config.get("SIGAP_DATA_KEY"):
        config["SIGAP_DATA_KEY"] = _generated_key(
            "sigap_data_key", lambda: urlsafe_b64encode(secrets.token_bytes(32)).decode()
        )
    config["PROVINCES"] = [p.strip() for p in config["SIGAP_PROVINCES"].split(",") if p.strip()]
    _positive_seconds(config, "SIGAP_SCHEDULER_LEASE_SECONDS")
    for key in [k for k in DEFAULTS if k.startswith("SIGAP_API_")]:
        _whole_number(config, key)
    return config


def _twilio_needs_public_url(config: dict[str, Any]) -> None:
    """Refuse Twilio credentials without the public URL Twilio calls.

    Behind a TLS proxy the request's own URL is not the one Twilio signed, so every webhook
    would be refused (every report lost) and no delivery report would be asked for.
    """
    creds = all(
        str(config.get(k) or "").strip() for k in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")
    )
    if creds and not str(config.get("PUBLIC_BASE_URL") or "").strip():
        raise ConfigError(
            "PUBLIC_BASE_URL must be set with the Twilio credentials: "
            "the https address Twilio calls"
        )


def _whole_number(config: dict[str, Any], key: str) -> None:
    """Refuse a limit that is not a whole number of at least 1."""
    try:
        ok = int(str(config[key])) >= 1
    except ValueError:
        ok = False
    if not ok:
        raise ConfigError(f"{key} must be a whole number of at least 1, not {config[key]!r}")


def _positive_seconds(config: dict[str, Any], key: str) -> None:
    """Refuse a duration that is not a number of seconds above zero."""
    try:
        ok = float(config[key]) > 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ConfigError(f"{key} must be a number of seconds above 0, not {config[key]!r}")
