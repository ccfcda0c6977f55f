"""Backups: a consistent copy of the database and the spool, encrypted with the data key.

A backup file is a tar (manifest, database dump, spool files) encrypted in chunks with
AES-GCM under a key derived from the newest data key and a random salt; each chunk is bound
to its position and the last one is marked, so a truncated or altered file is refused.
SQLite is copied with its online backup API, PostgreSQL with pg_dump: both give a snapshot
of committed transactions while the service keeps running.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
import sqlite3
import struct
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL, make_url

from webhooks import spool

MAGIC = b"SIGAPBK1"
SALT_BYTES = 16
CHUNK = 1 << 20
_HEADER = struct.Struct(">I?")  # ciphertext length, last chunk


class BackupError(Exception):
    """A backup or restore that cannot go on, said in one line."""


@dataclass(frozen=True)
class Manifest:
    """What a backup holds."""

    created_at: str
    database: str  # "sqlite" or "postgresql"
    spool_files: int


def _file_key(key: bytes, salt: bytes) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"sigap/backup/file")
    return AESGCM(derived.derive(key))


def _aad(index: int, last: bool) -> bytes:
    return MAGIC + struct.pack(">Q?", index, last)


def encrypt_stream(plain: BinaryIO, out: BinaryIO, key: bytes) -> None:
    """Write `plain` to `out` encrypted, chunk by chunk."""
    salt = secrets.token_bytes(SALT_BYTES)
    aes = _file_key(key, salt)
    out.write(MAGIC + salt)
    index, chunk = 0, plain.read(CHUNK)
    while True:
        following = plain.read(CHUNK)
        last = not following
        nonce = secrets.token_bytes(12)
        sealed = aes.encrypt(nonce, chunk, _aad(index, last))
        out.write(_HEADER.pack(len(sealed), last) + nonce + sealed)
        if last:
            return
        index, chunk = index + 1, following


def decrypt_stream(source: BinaryIO, out: BinaryIO, keys: list[bytes]) -> None:
    """Decrypt a backup with whichever data key wrote it; refuse a damaged or cut file."""
    head = source.read(len(MAGIC) + SALT_BYTES)
    if not head.startswith(MAGIC) or len(head) != len(MAGIC) + SALT_BYTES:
        raise BackupError("not a SIGAP backup file")
    body = source.read()
    for key in keys:
        try:
            out.write(_open_chunks(body, _file_key(key, head[len(MAGIC) :])))
            return
        except InvalidTag:
            continue
    raise BackupError("the backup cannot be decrypted with SIGAP_DATA_KEY, or it is damaged")


def _open_chunks(body: bytes, aes: AESGCM) -> bytes:
    plain, pos, index = bytearray(), 0, 0
    while True:
        if pos + _HEADER.size + 12 > len(body):
            raise BackupError("the backup file is cut short")
        length, last = _HEADER.unpack_from(body, pos)
        nonce = body[pos + _HEADER.size : pos + _HEADER.size + 12]
        start = pos + _HEADER.size + 12
        plain += aes.decrypt(nonce, body[start : start + length], _aad(index, last))
        pos, index = start + length, index + 1
        if last:
            if pos != len(body):
                raise BackupError("the backup file has data after its end")
            return bytes(plain)


def _libpq(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump/pg_restore; the password goes by environment."""
    args = ["--dbname", url.database or "", "--username", url.username or ""]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    env = {**os.environ, "PGPASSWORD": url.password or ""}
    return args, env


def _run(cmd: list[str], env: dict[str, str]) -> None:
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError:
        raise BackupError(f"{cmd[0]} is not installed (Debian: postgresql-client)") from None
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["failed"])[0]
        raise BackupError(f"{cmd[0]}: {first}")


def _dump(database_url: str, folder: Path) -> tuple[str, Path]:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        target = folder / "database.sqlite"
        source = sqlite3.connect(url.database or "")
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        return "sqlite", target
    if url.get_backend_name() == "postgresql":
        target = folder / "database.pgdump"
        args, env = _libpq(url)
        _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(target), *args], env)
        return "postgresql", target
    raise BackupError(f"backups of {url.get_backend_name()} databases are not supported")


def make_backup(
    database_url: str, spool_dir: Path, out: Path, key: bytes, now: datetime
) -> Manifest:
    """Write an encrypted, consistent backup of the database and the spool to `out`."""
    with tempfile.TemporaryDirectory(prefix="sigap-backup-") as tmp:
        folder = Path(tmp)
        kind, dump = _dump(database_url, folder)
        spooled = spool.pending(spool_dir, limit=1_000_000)
        manifest = Manifest(now.isoformat(), kind, len(spooled))
        tar_path = folder / "backup.tar"
        with tarfile.open(tar_path, "w") as tar:
            data = json.dumps(vars(manifest)).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            tar.add(dump, arcname=dump.name)
            for path in spooled:
                tar.add(path, arcname=f"spool/{path.name}")
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as sink, tar_path.open("rb") as plain:
            encrypt_stream(plain, sink, key)
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(partial, out)
    return manifest


def _is_empty(database_url: str) -> bool:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        if not path.exists() or path.stat().st_size == 0:
            return True
    engine = create_engine(url)
    try:
        return not inspect(engine).get_table_names()
    finally:
        engine.dispose()


def restore_backup(source: Path, database_url: str, spool_dir: Path, keys: list[bytes]) -> Manifest:
    """Restore a backup into an empty database and spool folder."""
    if not _is_empty(database_url):
        raise BackupError("the target database is not empty: restore only into a new instance")
    with tempfile.TemporaryDirectory(prefix="sigap-restore-") as tmp:
        folder = Path(tmp)
        tar_path = folder / "backup.tar"
        with source.open("rb") as sealed, tar_path.open("wb") as plain:
            decrypt_stream(sealed, plain, keys)
        with tarfile.open(tar_path) as tar:
            tar.extractall(folder / "x", filter="data")
        manifest = Manifest(**json.loads((folder / "x" / "manifest.json").read_text()))
        _load(manifest.database, folder / "x", database_url)
        spool_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        for path in sorted((folder / "x" / "spool").glob(f"*{spool.SUFFIX}")):
            shutil.copyfile(path, spool_dir / path.name)
            os.chmod(spool_dir / path.name, 0o600)
    return manifest


def _load(kind: str, folder: Path, database_url: str) -> None:
    url = make_url(database_url)
    if kind != url.get_backend_name():
        raise BackupError(f"a {kind} backup cannot be restored into {url.get_backend_name()}")
    if kind == "sqlite":
        target = Path(url.database or "")
        target.parent.mkdir(parents=True, exist_ok=True)
        for stale in (Path(f"{target}-wal"), Path(f"{target}-shm"), target):
            stale.unlink(missing_ok=True)
        shutil.copyfile(folder / "database.sqlite", target)
        os.chmod(target, 0o600)
        return
    args, env = _libpq(url)
    cmd = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", *args]
    _run([*cmd, str(folder / "database.pgdump")], env)
