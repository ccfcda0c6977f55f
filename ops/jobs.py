"""The nightly backup job: one encrypted copy a night, the newest N kept."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flask import current_app

from core.config import instance_dir
from core.crypto import keyring
from ops.backup import make_backup
from webhooks import spool

SUFFIX = ".sigapbak"


def backup_dir() -> Path:
    """Where nightly backups go (SIGAP_BACKUP_DIR, else instance/backups)."""
    return Path(current_app.config.get("SIGAP_BACKUP_DIR") or instance_dir() / "backups")


def nightly_backup(now: datetime) -> str:
    """Write tonight's backup and delete the oldest beyond SIGAP_BACKUP_KEEP."""
    folder = backup_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    out = folder / f"sigap-{now:%Y%m%dT%H%MZ}{SUFFIX}"
    manifest = make_backup(
        current_app.config["DATABASE_URL"], spool.directory(), out, keyring().backup_keys()[0], now
    )
    keep = int(current_app.config.get("SIGAP_BACKUP_KEEP") or 7)
    copies = sorted(folder.glob(f"sigap-*{SUFFIX}"))
    for old in copies[: max(0, len(copies) - keep)]:
        old.unlink()
    return f"backup {out.name} ({manifest.database}, {manifest.spool_files} spool files)"
