"""Files that survive a crash: written whole or not at all, and on disk before returning."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_dir(directory: Path) -> None:
    """Make a folder's entries (a file created, renamed or deleted in it) reach the disk."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(path: Path, data: bytes, times: tuple[int, int] | None = None) -> None:
    """Put `data` at `path`, owner-only, whole or not at all, on disk before returning.

    `times` (access and modification, in ns) keeps a rewritten file's place in the replay
    order, which is by modification time.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    if times is not None:
        os.utime(tmp, ns=times)
    os.replace(tmp, path)
    fsync_dir(path.parent)
