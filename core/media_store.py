"""Where photos, voice notes and documents people sent are kept: one encrypted file each.

Files live under instance/media (MEDIA_DIR to change it), owner-only, encrypted with the
data key; the database names each file. Nothing here knows where a file came from.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import current_app

from core.config import instance_dir
from core.crypto import keyring

#: Stored files end so; anything else in the folder (a rotation's temporary file) is not one.
SUFFIX = ".bin"


def directory() -> Path:
    """Where encrypted media files live (MEDIA_DIR, else instance/media)."""
    return Path(current_app.config.get("MEDIA_DIR") or instance_dir() / "media")


def store(content: bytes) -> str:
    """Write `content` encrypted to a new file, on disk before returning; return its name."""
    folder = directory()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"{secrets.token_hex(16)}{SUFFIX}"
    fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(keyring().encrypt_bytes(content))
        f.flush()
        os.fsync(f.fileno())
    return name


def read(name: str) -> bytes:
    """Return a stored file's bytes, decrypted (FileNotFoundError when it is gone)."""
    return keyring().decrypt_bytes((directory() / name).read_bytes())


def remove(name: str) -> None:
    """Delete a stored file; one already gone is no error."""
    (directory() / name).unlink(missing_ok=True)
