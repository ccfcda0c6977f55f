"""Backups: encrypted, consistent while intake runs, and restored whole into a new instance."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench.common import TOKEN as BENCH_TOKEN
from bench.common import post_all, signed_bodies
from chaos.common import drop_postgres_database
from core import clock
from core.crypto import Keyring, keyring
from core.gazetteer import load_regions
from models import InboundMessage
from ops.backup import BackupError, decrypt_stream, encrypt_stream
from tests.servers import gunicorn
from tests.signing import TEST_DATA_KEY
from webhooks import spool

OTHER_KEY = "b3RoZXIga2V5IGZvciB0ZXN0czsgbm90IHByb2R1Y3Q="


def seal(data: bytes, key: bytes) -> bytes:
    out = io.BytesIO()
    encrypt_stream(io.BytesIO(data), out, key)
    return out.getvalue()


def unseal(data: bytes, keys: list[bytes]) -> bytes:
    out = io.BytesIO()
    decrypt_stream(io.BytesIO(data), out, keys)
    return out.getvalue()


def test_a_backup_is_not_readable_without_the_key_and_refuses_damage(monkeypatch) -> None:
    monkeypatch.setattr("ops.backup.CHUNK", 1000)  # several chunks
    key = Keyring(TEST_DATA_KEY).backup_keys()[0]
    plain = b"laporan " * 1000
    sealed = seal(plain, key)
    assert b"laporan" not in sealed
    assert unseal(sealed, [key]) == plain
    # rotation: a backup written under the old key still opens with "NEW,OLD"
    rotated = Keyring(f"{OTHER_KEY},{TEST_DATA_KEY}").backup_keys()
    assert unseal(sealed, rotated) == plain
    with pytest.raises(BackupError, match="cannot be decrypted"):
        unseal(sealed, Keyring(OTHER_KEY).backup_keys())
    tampered = bytearray(sealed)
    tampered[len(sealed) // 2] ^= 1
    with pytest.raises(BackupError):
        unseal(bytes(tampered), [key])
    for cut in (len(sealed) - 1, len(sealed) - 1500):
        with pytest.raises(BackupError):
            unseal(sealed[:cut], [key])
    with pytest.raises(BackupError, match="not a SIGAP backup"):
        unseal(b"PK\x03\x04 something else", [key])


@pytest.fixture
def empty_url(db_url: str, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Make empty databases of the suite's kind, by name; drop them afterwards."""
    made: list[str] = []

    def make(name: str) -> str:
        if not db_url.startswith("postgresql"):
            return f"sqlite:///{tmp_path / name}.db"
        full = f"{make_url(db_url).database}_{name}"
        drop_postgres_database(db_url, full)
        admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{full}"'))
        admin.dispose()
        made.append(full)
        return make_url(db_url).set(database=full).render_as_string(hide_password=False)

    yield make
    for name in made:
        drop_postgres_database(db_url, name)


def cli(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def stored_ids(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return set(conn.scalars(text("SELECT provider_message_id FROM inbound_message")))
    finally:
        engine.dispose()


@pytest.mark.slow
def test_backup_during_a_burst_restores_every_committed_report(
    make_app: Callable[..., Flask], empty_url: Callable[[str], str], tmp_path: Path
) -> None:
    source_url = empty_url("source")
    source = make_app(DATABASE_URL=source_url, SPOOL_DIR=str(tmp_path / "spool-a"))
    cli(source, "db", "upgrade")
    with source.app_context():
        from core.db import db

        load_regions(db.session, {"72"})
        db.session.commit()
        spool.write(
            spool.directory(), "sms", {"MessageSid": "SM" + "9" * 32, "Body": "x"}, clock.now()
        )
    backup = tmp_path / "nightly.sigapbak"
    server_env = {"SIGAP_INSTANCE": str(tmp_path / "instance-a"), "TWILIO_AUTH_TOKEN": BENCH_TOKEN}
    with gunicorn(source_url, workers=2, **server_env) as base:
        bodies = signed_bodies(base, 500)
        burst = threading.Thread(target=post_all, args=(base, bodies, 4))
        burst.start()
        deadline = time.monotonic() + 120
        while len(stored_ids(source_url)) < 25 and time.monotonic() < deadline:
            time.sleep(0.05)  # waiting on the server process, not on time
        committed = stored_ids(source_url)
        out = cli(source, "backup", str(backup))
        burst.join(timeout=120)
    assert 25 <= len(committed) < 500, "the backup must be taken mid-burst"
    assert "1 spool files" in out
    assert b"+62808" not in backup.read_bytes()

    target_url = empty_url("restored")
    target = make_app(DATABASE_URL=target_url, SPOOL_DIR=str(tmp_path / "spool-b"))
    assert "restored" in cli(target, "restore", str(backup))
    assert committed <= stored_ids(target_url)
    with target.app_context():
        assert len(spool.pending(spool.directory())) == 1
    engine = create_engine(target_url)
    keyring()  # the same data key reads the restored rows
    with Session(engine) as session:
        rows = session.scalars(select(InboundMessage)).all()
        assert all(row.sender.startswith(("+62808", "whatsapp:+62808")) for row in rows)
        assert all(row.body for row in rows)
    engine.dispose()

    again = make_app(DATABASE_URL=target_url, SPOOL_DIR=str(tmp_path / "spool-b"))
    refused = again.test_cli_runner().invoke(args=["restore", str(backup)])
    assert refused.exit_code == 1
    assert "not empty" in refused.output
