"""Retention: processed raw messages and leftover spool files go after the period; nothing else."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from alerts.jobs import run_if_due
from core import clock
from core.config import ConfigError
from core.crypto import lookup_hash
from core.db import db
from core.jobs import registered
from models import (
    Dialog,
    DialogStatus,
    InboundMessage,
    InboundStatus,
    MediaFile,
    MediaStatus,
    Report,
)
from security.jobs import purge_expired
from tests.security.conftest import T0, World, sms_form
from webhooks import spool

DAYS = 90


def message(n: int, status: InboundStatus, received_at: datetime) -> InboundMessage:
    """Store a raw message of an invented sender."""
    number = f"+628080000{7100 + n:04d}"
    row = InboundMessage(
        provider="twilio",
        channel="sms",
        provider_message_id=f"SM{n:032x}",
        sender=number,
        sender_hash=lookup_hash(number),
        body=f"pesan {n}",
        status=status,
        received_at=received_at,
    )
    db.session.add(row)
    db.session.flush()
    return row


def spooled(directory: Path, row: InboundMessage | None, sid: str, at: datetime) -> Path:
    """A spool file for a message, written (and timed) as if spooled at `at`."""
    path = spool.write(directory, "sms", sms_form(row.provider_message_id if row else sid, "x"), at)
    os.utime(path, (at.timestamp(), at.timestamp()))
    return path


def ids() -> set[int]:
    db.session.expire_all()
    return set(db.session.scalars(select(InboundMessage.id)))


def test_only_processed_messages_past_the_period_are_purged(world: World) -> None:
    old, recent = T0 - timedelta(days=1), T0 + timedelta(days=80)
    failed = message(1, InboundStatus.FAILED, old).id
    received = message(2, InboundStatus.RECEIVED, old).id
    processed_old = message(3, InboundStatus.PROCESSED, old).id
    processed_recent = message(4, InboundStatus.PROCESSED, recent).id
    db.session.commit()
    report = db.session.scalar(select(Report))
    report_message = report.inbound_message_id
    dialog_message = db.session.scalar(select(Dialog.inbound_message_id))
    assert report_message is not None

    purge_expired(T0 + timedelta(days=DAYS + 1))

    kept = ids()
    assert {failed, received, processed_recent} <= kept
    assert processed_old not in kept
    assert report_message not in kept
    assert dialog_message in kept  # first message of a dialog still open
    report = db.session.scalar(select(Report))
    assert report.inbound_message_id is None  # the report keeps its own copy of the text
    assert "dipukuli" in report.text


def test_a_closed_dialogs_first_message_is_purged_and_the_dialog_kept(world: World) -> None:
    dialog = db.session.scalar(select(Dialog))
    first = dialog.inbound_message_id
    dialog.status = DialogStatus.EXPIRED
    db.session.commit()
    purge_expired(T0 + timedelta(days=DAYS + 1))
    assert first not in ids()
    dialog = db.session.scalar(select(Dialog))
    assert dialog.inbound_message_id is None
    assert "ada anak dipukuli" in dialog.state


def test_nothing_is_purged_before_the_period_ends(world: World) -> None:
    before = ids()
    assert purge_expired(T0 + timedelta(days=DAYS - 1)).startswith("0 messages, 0 spool")
    assert ids() == before


def test_a_spool_file_goes_only_when_its_message_is_stored_and_processed(
    world: World, spool_dir: Path
) -> None:
    old = T0 - timedelta(days=1)
    done = message(5, InboundStatus.PROCESSED, T0 + timedelta(days=50))  # still in the database
    failed = message(6, InboundStatus.FAILED, old)
    db.session.commit()
    redundant = spooled(spool_dir, done, "", old)
    only_copy = spooled(spool_dir, None, "SM" + "9" * 32, old)  # never reached the database
    still_owed = spooled(spool_dir, failed, "", old)
    recent = spooled(spool_dir, None, "SM" + "a" * 32, T0 + timedelta(days=60))
    unreadable = spool_dir / ("0" * 32 + spool.SUFFIX)
    unreadable.write_bytes(b"not a token")
    os.utime(unreadable, (old.timestamp(), old.timestamp()))

    outcome = purge_expired(T0 + timedelta(days=DAYS))

    assert "1 spool files" in outcome
    assert not redundant.exists()
    assert only_copy.exists()
    assert still_owed.exists()
    assert recent.exists()
    assert unreadable.exists()
    assert world.spool_file.exists()


def test_the_job_runs_nightly_at_two_in_the_morning_local_time(world: World) -> None:
    job = next(j for j in registered() if j.name == "security.retention")
    message(7, InboundStatus.PROCESSED, T0)
    db.session.commit()
    wita = timedelta(hours=8)
    night = datetime(2026, 6, 20, 2, 5, tzinfo=UTC) - wita  # 02:05 WITA, past 90 days
    assert run_if_due(job, night - timedelta(minutes=10)) is None  # 01:55: yesterday's is over
    clock.freeze(night)
    assert run_if_due(job, night) == "2 messages, 0 spool files, 0 media purged"
    assert run_if_due(job, night + timedelta(hours=1)) is None  # once a night


def test_purging_works_in_batches(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("security.jobs.BATCH", 2)
    for n in range(10, 15):
        message(n, InboundStatus.PROCESSED, T0)
    db.session.commit()
    assert purge_expired(T0 + timedelta(days=DAYS + 1)).startswith("6 messages")


@pytest.mark.parametrize("value", ["0", "-3", "sembilan puluh"])
def test_a_bad_retention_stops_the_start(make_app: Callable[..., Flask], value: str) -> None:
    with pytest.raises(ConfigError, match="SIGAP_RETENTION_DAYS"):
        make_app(SIGAP_RETENTION_DAYS=value)


def test_the_retention_is_configurable(world: World, app: Flask) -> None:
    app.config["SIGAP_RETENTION_DAYS"] = "7"
    message(8, InboundStatus.PROCESSED, T0)
    db.session.commit()
    assert purge_expired(T0 + timedelta(days=8)).startswith("2 messages")


def test_media_that_never_joined_a_case_goes_with_its_time(
    world: World, app: Flask, tmp_path: Path
) -> None:
    folder = tmp_path / "media"
    folder.mkdir()
    app.config["MEDIA_DIR"] = str(folder)
    for name, case_id, age in (
        ("old-alone", None, 91),
        ("new-alone", None, 10),
        ("old-on-case", world.case.id, 91),
    ):
        (folder / name).write_bytes(b"sealed")
        db.session.add(
            MediaFile(
                provider="twilio",
                url="https://api.twilio.com/x",
                content_type="image/jpeg",
                status=MediaStatus.STORED,
                path=name,
                case_id=case_id,
                created_at=T0 - timedelta(days=age),
            )
        )
    db.session.commit()
    assert "1 media purged" in purge_expired(T0)
    assert set(db.session.scalars(select(MediaFile.path))) == {"new-alone", "old-on-case"}
    assert sorted(p.name for p in folder.iterdir()) == ["new-alone", "old-on-case"]
