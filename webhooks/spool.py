"""A durable local spool for webhooks that arrive while the database cannot take them.

Each verified request is one file, encrypted with the data key, written to a temporary
name, fsync'd and renamed into place, so a crash leaves either the whole file or none. The
file is named by a hash of the provider's message id: a resend while the database is still
down overwrites the same file instead of spooling the message twice.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app

from core.config import instance_dir
from core.crypto import keyring
from core.files import fsync_dir, write_durably

SUFFIX = ".msg"


@dataclass(frozen=True)
class Spooled:
    """One spooled webhook: which route it came to, its form, and when."""

    path: Path
    kind: str
    form: dict[str, str]
    received_at: datetime


def directory() -> Path:
    """The spool folder of the current app (SPOOL_DIR, else instance/spool)."""
    return Path(current_app.config.get("SPOOL_DIR") or instance_dir() / "spool")


def write(directory: Path, kind: str, form: dict[str, str], received_at: datetime) -> Path:
    """Write one verified webhook to the spool, durably."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    message_id = form.get("MessageSid") or form.get("SmsMessageSid") or form.get("SmsSid") or ""
    key = hashlib.sha256(f"{kind}\0{message_id}".encode()).hexdigest()[:32]
    payload = json.dumps({"kind": kind, "form": form, "received_at": received_at.isoformat()})
    final = directory / f"{key}{SUFFIX}"
    write_durably(final, keyring().encrypt(payload).encode())
    return final


def pending(directory: Path, limit: int = 500) -> list[Path]:
    """Spooled files, oldest first."""
    if not directory.exists():
        return []
    files = sorted(directory.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_mtime)
    return files[:limit]


def read(path: Path) -> Spooled:
    """Decrypt one spooled file."""
    data = json.loads(keyring().decrypt(path.read_bytes().decode()))
    return Spooled(path, data["kind"], data["form"], datetime.fromisoformat(data["received_at"]))


def remove(path: Path) -> None:
    """Delete a file whose message is safely in the database."""
    path.unlink(missing_ok=True)
    fsync_dir(path.parent)
