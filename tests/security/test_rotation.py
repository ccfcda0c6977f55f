"""Key rotation: afterwards everything reads under the new key and nothing under the old."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, select, type_coerce

from core.config import ConfigError
from core.crypto import Encrypted, Keyring, lookup_hash
from core.db import db
from models import Account, Base, InboundMessage, Outbox, Report, Reporter
from security.rotation import targets
from tests.security.conftest import (
    ADMIN_PHONE,
    NOTE,
    PROFILE,
    REPORTER,
    SPOOLED_TEXT,
    WA_REPORTER,
    World,
)
from tests.signing import TEST_DATA_KEY
from webhooks import spool

OLD_KEY = TEST_DATA_KEY
OTHER_KEY = "b3RoZXIga2V5OyBuZXZlciB1c2VkIGZvciBTSUdBUCE="

Plain = dict[tuple[str, Any, str], str | None]


def plain_values() -> Plain:
    """Every encrypted value of the database, decrypted with the installed keyring."""
    values: Plain = {}
    for target in targets(Base.metadata):
        for row in db.session.execute(select(target.key.label("_pk"), *target.encrypted)):
            for column in target.encrypted:
                values[(target.table.name, row._pk, column.name)] = row._mapping[column.name]
    return values


def raw_tokens() -> Iterator[tuple[str, str]]:
    """Every stored ciphertext, as it is on disk, with where it is."""
    for target in targets(Base.metadata):
        columns = [type_coerce(c, Text()).label(c.name) for c in target.encrypted]
        for row in db.session.execute(select(*columns)):
            for name, token in row._mapping.items():
                if token is not None:
                    yield f"{target.table.name}.{name}", token


def new_key(runner_app: Flask) -> str:
    result = runner_app.test_cli_runner().invoke(args=["keys", "generate"])
    assert result.exit_code == 0
    key = result.output.strip()
    Keyring(key)  # a valid data key
    return key


def rotate(app: Flask) -> str:
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["keys", "rotate", "--batch", "3"])
        assert result.exit_code == 0, result.output
        db.session.remove()
    return result.output


@pytest.fixture
def rotated(world: World, app: Flask, make_app: Callable[..., Flask]) -> tuple[Plain, str]:
    """Rotate the world from the test key to a new one; return what it said before, the key."""
    before = plain_values()
    spool_mtime = world.spool_file.stat().st_mtime_ns
    db.session.commit()
    key = new_key(app)
    output = rotate(make_app(SIGAP_DATA_KEY=f"{key},{OLD_KEY}", SPOOL_DIR=world.spool_file.parent))
    assert "spool: 1 files read, 1 re-encrypted" in output
    assert world.spool_file.stat().st_mtime_ns == spool_mtime  # replay order is kept
    return before, key


def test_the_world_has_every_kind_of_personal_field(world: World) -> None:
    values = {v for v in plain_values().values() if v}
    assert {ADMIN_PHONE, REPORTER, WA_REPORTER, PROFILE, "Admin Contoh"} <= values
    assert any(NOTE in v for v in values)  # a timeline note
    assert any('"text": "ada anak dipukuli"' in v for v in values)  # a dialog's state
    assert any(v.startswith("SIGAP DARURAT") for v in values)  # an alert's body


def test_after_rotation_everything_reads_back_under_the_new_key_alone(
    rotated: tuple[Plain, str], world: World, make_app: Callable[..., Flask]
) -> None:
    before, key = rotated
    with make_app(SIGAP_DATA_KEY=key).app_context():
        assert plain_values() == before
        assert spool.read(world.spool_file).form["Body"] == SPOOLED_TEXT


def test_after_rotation_lookups_by_phone_find_the_same_rows(
    rotated: tuple[Plain, str], world: World, make_app: Callable[..., Flask]
) -> None:
    admin_id = world.admin.id
    _, key = rotated
    with make_app(SIGAP_DATA_KEY=key).app_context():
        account = db.session.scalar(
            select(Account).where(Account.phone_hash == lookup_hash(ADMIN_PHONE))
        )
        assert account is not None
        assert account.id == admin_id
        assert account.name == "Admin Contoh"
        for number in (REPORTER, WA_REPORTER):
            reporter = db.session.scalar(
                select(Reporter).where(Reporter.phone_hash == lookup_hash(number))
            )
            assert reporter is not None
            assert reporter.phone == number
            message = db.session.scalar(
                select(InboundMessage).where(InboundMessage.sender_hash == lookup_hash(number))
            )
            assert message is not None
            assert message.reporter_id == reporter.id
        for row in db.session.scalars(select(Outbox)):
            assert row.to_hash == lookup_hash(row.to)
        report = db.session.scalar(select(Report))
        assert report is not None
        assert "dipukuli" in report.text


def test_after_rotation_the_old_key_opens_nothing(
    rotated: tuple[Plain, str], world: World, make_app: Callable[..., Flask]
) -> None:
    _, key = rotated
    old, new = Keyring(OLD_KEY), Keyring(key)
    with make_app(SIGAP_DATA_KEY=key).app_context():
        tokens = list(raw_tokens())
    assert len(tokens) > 50
    for where, token in tokens:
        with pytest.raises(ConfigError):
            old.decrypt(token)
        assert new.decrypt(token) is not None, where
    with pytest.raises(ConfigError):
        old.decrypt(world.spool_file.read_bytes().decode())
    with make_app(SIGAP_DATA_KEY=OLD_KEY).app_context(), pytest.raises(ConfigError):
        db.session.scalars(select(Account)).all()


def test_rotating_again_changes_nothing(
    rotated: tuple[Plain, str], world: World, make_app: Callable[..., Flask]
) -> None:
    before, key = rotated
    mtime = os.stat(world.spool_file).st_mtime_ns
    token = world.spool_file.read_bytes()
    again = make_app(SIGAP_DATA_KEY=f"{key},{OLD_KEY}", SPOOL_DIR=world.spool_file.parent)
    output = rotate(again)
    assert "keys: 0 of" in output
    assert "and 0 spool files re-encrypted" in output
    assert world.spool_file.read_bytes() == token
    assert os.stat(world.spool_file).st_mtime_ns == mtime
    with make_app(SIGAP_DATA_KEY=key).app_context():
        assert plain_values() == before


def test_a_value_no_key_opens_stops_rotation_with_one_line(
    world: World, app: Flask, make_app: Callable[..., Flask]
) -> None:
    stray = Keyring(OTHER_KEY).encrypt("Nama Lain")
    account = Account.__table__
    db.session.execute(
        account.update()
        .where(account.c.id == world.admin.id)
        .values({account.c.name: type_coerce(stray, Text())})
    )
    db.session.commit()
    key = new_key(app)
    rotating = make_app(SIGAP_DATA_KEY=f"{key},{OLD_KEY}")
    with rotating.app_context():
        result = rotating.test_cli_runner().invoke(args=["keys", "rotate"])
        db.session.remove()
    assert result.exit_code == 1
    assert f"account.name of id {world.admin.id} opens with no key" in result.output
    assert "Traceback" not in result.output


def test_a_new_model_is_covered_without_listing_it() -> None:
    metadata = MetaData()
    Table(
        "shelter",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("contact", Encrypted()),
        Column("contact_hash", String(64)),
        Column("token_hash", String(64)),  # a plain hash of no encrypted column: not a lookup
    )
    (found,) = targets(metadata)
    assert [c.name for c in found.encrypted] == ["contact"]
    assert [(h.name, s.name) for h, s in found.hashes] == [("contact_hash", "contact")]


def test_every_lookup_hash_of_the_models_is_recomputed() -> None:
    pairs = {(t.table.name, h.name, s.name) for t in targets(Base.metadata) for h, s in t.hashes}
    assert pairs == {
        ("account", "phone_hash", "phone"),
        ("reporter", "phone_hash", "phone"),
        ("inbound_message", "sender_hash", "sender"),
        ("mms_arrival", "sender_hash", "sender"),
        ("outbox", "to_hash", "to"),
    }


def test_security_md_lists_every_encrypted_field(repo_root: Path) -> None:
    rows = {
        line.split("`")[1]: line
        for line in (repo_root / "SECURITY.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("| `")
    }
    for target in targets(Base.metadata):
        row = rows.get(target.table.name, "")
        for column in (*target.encrypted, *(h for h, _ in target.hashes)):
            assert f"`{column.name}`" in row, f"{target.table.name}.{column.name}"
