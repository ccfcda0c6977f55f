"""Key rotation: re-encrypt every encrypted column, media file and spool file under the
newest data key.

Rotation works on ciphertext with Core statements: it reads each token as stored, rewrites it
under the newest key and recomputes the lookup hashes from the plain text. The plain text of
every row is the same before and after, timeline events included, so the append-only
timeline is not changed in substance and its ORM guard is not involved.

Which columns are covered is found from the models, never listed by hand: every column of
type Encrypted, and every `<name>_hash` column beside an Encrypted `<name>` column (the
keyed lookup hash of that value). A new model is covered by declaring its columns so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Column, MetaData, Table, Text, bindparam, select, type_coerce
from sqlalchemy.orm import Session

from core.config import ConfigError
from core.crypto import Encrypted, Keyring
from core.files import write_durably

#: A keyed lookup hash as core.crypto writes it; other values (erasure placeholders) stay.
_LOOKUP_HASH = re.compile(r"[0-9a-f]{64}")


class UnreadableToken(ConfigError):
    """A stored value that no key in SIGAP_DATA_KEY opens: rotation stops, changing nothing."""


@dataclass(frozen=True)
class Target:
    """One table's encrypted columns and the lookup hashes computed from them."""

    table: Table
    encrypted: tuple[Column[Any], ...]
    #: (hash column, the encrypted column whose plain value it hashes)
    hashes: tuple[tuple[Column[Any], Column[Any]], ...]

    @property
    def key(self) -> Column[Any]:
        (pk,) = self.table.primary_key.columns
        return pk


@dataclass(frozen=True)
class Keys:
    """Every key, to read and rotate; the newest alone, to tell what is already current."""

    every: Keyring
    newest: Keyring

    @classmethod
    def from_config(cls, data_key: str) -> Keys:
        """Build from SIGAP_DATA_KEY ("NEW,OLD,...")."""
        return cls(Keyring(data_key), Keyring(data_key.split(",")[0]))


def targets(metadata: MetaData) -> list[Target]:
    """Find every table with encrypted columns, with its lookup-hash columns."""
    found = []
    for table in metadata.sorted_tables:
        encrypted = tuple(c for c in table.columns if isinstance(c.type, Encrypted))
        if not encrypted:
            continue
        names = {c.name for c in encrypted}
        hashes = tuple(
            (c, table.c[c.name.removesuffix("_hash")])
            for c in table.columns
            if c.name.endswith("_hash") and c.name.removesuffix("_hash") in names
        )
        found.append(Target(table, encrypted, hashes))
    return found


def _opens(keyring: Keyring, token: str) -> bool:
    try:
        keyring.decrypt(token)
    except ConfigError:
        return False
    return True


def _plain(keys: Keys, target: Target, row: Any, column: Column[Any]) -> str:
    try:
        return keys.every.decrypt(row._mapping[column.name])
    except ConfigError:
        raise UnreadableToken(
            f"{target.table.name}.{column.name} of id {row._mapping['_pk']} opens with no key "
            "in SIGAP_DATA_KEY; add the key it was written with"
        ) from None


def _changes(keys: Keys, target: Target, row: Any) -> dict[str, Any] | None:
    """The new values of one row, or None when it is already under the newest key."""
    values: dict[str, Any] = {"_pk": row._mapping["_pk"]}
    plain: dict[str, str] = {}
    changed = False
    for column in target.encrypted:
        token = row._mapping[column.name]
        if token is not None:
            plain[column.name] = _plain(keys, target, row, column)
            if not _opens(keys.newest, token):
                token, changed = keys.every.rotate(token), True
        values[f"new_{column.name}"] = token
    for hashed, source in target.hashes:
        current = row._mapping[hashed.name]
        fresh = current
        if current is not None and _LOOKUP_HASH.fullmatch(current) and source.name in plain:
            fresh = keys.newest.lookup_hash(plain[source.name])
        changed = changed or fresh != current
        values[f"new_{hashed.name}"] = fresh
    return values if changed else None


def rotate_batch(
    session: Session, keys: Keys, target: Target, after: Any, size: int
) -> tuple[Any, int, int]:
    """Rotate the next rows after a key; return the last key read, rows read, rows rewritten."""
    columns = [type_coerce(c, Text()).label(c.name) for c in target.encrypted]
    columns += [h.label(h.name) for h, _ in target.hashes]
    query = select(target.key.label("_pk"), *columns).order_by(target.key).limit(size)
    if after is not None:
        query = query.where(target.key > after)
    conn = session.connection()
    rows = conn.execute(query).all()
    changes = [c for row in rows if (c := _changes(keys, target, row)) is not None]
    if changes:
        written = [*target.encrypted, *(h for h, _ in target.hashes)]
        update = (
            target.table.update()
            .where(target.key == bindparam("_pk"))
            .values({c: bindparam(f"new_{c.name}", type_=Text()) for c in written})
        )
        conn.execute(update, changes)
    last = rows[-1]._mapping["_pk"] if rows else after
    return last, len(rows), len(changes)


def rotate_file(keys: Keys, path: Path) -> bool:
    """Re-encrypt one spool file in place, atomically, keeping its time; False if current."""
    token = path.read_bytes().decode()
    if _opens(keys.newest, token):
        return False
    if not _opens(keys.every, token):
        raise UnreadableToken(f"spool file {path.name} opens with no key in SIGAP_DATA_KEY")
    stat = path.stat()
    # The spool replays oldest first by modification time: keep the file's place.
    write_durably(path, keys.every.rotate(token).encode(), (stat.st_atime_ns, stat.st_mtime_ns))
    return True


def _opens_file(keyring: Keyring, token: bytes) -> bool:
    try:
        keyring.decrypt_bytes(token)
    except ConfigError:
        return False
    return True


def rotate_media_file(keys: Keys, path: Path) -> bool:
    """Re-encrypt one media file, whole or not at all; False if already under the newest key.

    The new ciphertext goes to a temporary file, on disk before it is renamed over the old:
    a crash at any moment leaves the old file (old key) or the new one (newest key), both
    keys being configured while rotating, never a half-written file.
    """
    token = path.read_bytes()
    if _opens_file(keys.newest, token):
        return False
    try:
        plain = keys.every.decrypt_bytes(token)
    except ConfigError:
        raise UnreadableToken(
            f"media file {path.name} opens with no key in SIGAP_DATA_KEY"
        ) from None
    write_durably(path, keys.newest.encrypt_bytes(plain))
    return True
