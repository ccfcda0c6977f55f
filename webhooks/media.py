"""Media a person sent: recorded by the worker, fetched by a job, stored encrypted, on the case.

The webhook never fetches: it stores the announcement with the message. The worker records
one row per attachment when it interprets the message (a URL on another host is refused
there and then, never requested); the `media.fetch` job fetches the rest with the provider's
credentials and keeps the bytes encrypted under instance/media.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.triggers.interval import IntervalTrigger
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from channels import ChannelError, InboundMessage, MediaRef, is_trusted_url
from channels.media import NOT_DELIVERED, MediaFetcher, media_hosts, source_for
from core import media_store, retry
from core.db import db, due_rows
from core.jobs import Job, register
from models import Case, CaseStatus, MediaFile, MediaStatus, Report
from models import InboundMessage as InboundRow

log = logging.getLogger(__name__)
BATCH = 20
#: A photo sent before its story joins the case its sender opens within this long.
ATTACH_WITHIN = timedelta(days=1)
_OPEN = (CaseStatus.BARU, CaseStatus.DITERIMA, CaseStatus.DITANGANI, CaseStatus.DIRUJUK)
#: Answers that will not change however often they are asked again.
_REFUSALS = frozenset(
    {"untrusted_host", "private_address", "redirect_elsewhere", "too_large", "type_not_allowed"}
)
_ORIGIN = datetime(2024, 1, 1, tzinfo=UTC)


def directory() -> Path:
    """Where encrypted media files live (MEDIA_DIR, else instance/media)."""
    return media_store.directory()


def case_of(session: Session, row: InboundRow) -> int | None:
    """The case a message belongs to: its own report's, else its sender's latest open one."""
    own = session.scalar(select(Report.case_id).where(Report.inbound_message_id == row.id))
    if own is not None or row.reporter_id is None:
        return own
    return session.scalar(
        select(Case.id)
        .join(Report, Report.case_id == Case.id)
        .where(Report.reporter_id == row.reporter_id, Case.status.in_(_OPEN))
        .order_by(Case.id.desc())
        .limit(1)
    )


def record(session: Session, row: InboundRow, msg: InboundMessage, now: datetime) -> None:
    """Write one row per attachment; a URL off the provider's hosts is refused, not fetched."""
    if not msg.media:
        return
    hosts = media_hosts(row.provider)
    case_id = case_of(session, row)
    for ref in msg.media:
        if ref.stored_as is not None or ref.refused is not None:
            session.add(_came_with_message(row, ref, case_id, now))
            continue
        trusted = is_trusted_url(ref.url, hosts)
        session.add(
            _media_row(
                row,
                ref,
                case_id,
                now,
                status=MediaStatus.PENDING if trusted else MediaStatus.REFUSED,
                reason=None if trusted else "untrusted_host",
                next_attempt_at=now if trusted else None,
            )
        )
        if not trusted:
            log.warning("inbound id=%s media refused: not on the provider's hosts", row.id)


def _came_with_message(
    row: InboundRow, ref: MediaRef, case_id: int | None, now: datetime
) -> MediaFile:
    """The row of an attachment whose bytes came with the message: stored, or refused."""
    if ref.stored_as is not None:
        status, reason, fetched_at = MediaStatus.STORED, None, now
    else:
        # Content that never came is a failure of delivery; too large or of a refused type
        # is SIGAP's refusal (the same caps and types as fetched media).
        status = MediaStatus.FAILED if ref.refused in NOT_DELIVERED else MediaStatus.REFUSED
        reason, fetched_at = ref.refused, None
    if status is not MediaStatus.STORED:
        log.warning("inbound id=%s media not kept: %s", row.id, reason)
    return _media_row(
        row,
        ref,
        case_id,
        now,
        status=status,
        reason=reason,
        size=ref.size,
        path=ref.stored_as,
        fetched_at=fetched_at,
    )


def _media_row(
    row: InboundRow, ref: MediaRef, case_id: int | None, now: datetime, **state: Any
) -> MediaFile:
    """The media row of one attachment of a message, in the state `state` gives."""
    return MediaFile(
        inbound_message_id=row.id,
        reporter_id=row.reporter_id,
        case_id=case_id,
        provider=row.provider,
        url=ref.url,
        content_type=ref.content_type[:100],
        created_at=now,
        **state,
    )


def _store(content: bytes) -> str:
    """Write encrypted bytes to a new file; return its name."""
    return media_store.store(content)


def read(media: MediaFile) -> bytes:
    """Return a stored file's bytes, decrypted."""
    if media.path is None:
        raise FileNotFoundError("media not stored")
    return media_store.read(media.path)


def _fetch_one(media: MediaFile, now: datetime) -> None:
    source = source_for(media.provider, current_app.config)
    if source is None:
        media.status, media.reason, media.next_attempt_at = (
            MediaStatus.FAILED,
            "no_credentials",
            None,
        )
        return
    fetcher = MediaFetcher(source)
    try:
        fetched = fetcher.fetch(media.url)
    except ChannelError as exc:
        media.attempts += 1
        media.reason = exc.code
        if exc.code in _REFUSALS:
            media.status, media.next_attempt_at = MediaStatus.REFUSED, None
        else:
            media.next_attempt_at = retry.MEDIA.next_attempt_at(media.attempts, now)
            if media.next_attempt_at is None:
                media.status = MediaStatus.FAILED
        return
    finally:
        fetcher.session.close()
    media.path, media.size, media.content_type = (
        _store(fetched.content),
        len(fetched.content),
        fetched.content_type,
    )
    media.status, media.reason, media.fetched_at, media.next_attempt_at = (
        MediaStatus.STORED,
        None,
        now,
        None,
    )


def fetch_media(now: datetime) -> str:
    """Fetch due media, each in its own commit; attach any still without a case."""
    due = due_rows(
        db.session,
        select(MediaFile).where(
            MediaFile.status == MediaStatus.PENDING, MediaFile.next_attempt_at <= now
        ),
        MediaFile.id,
        limit=BATCH,
    )
    for media in due:
        _fetch_one(media, now)
        db.session.commit()
    stored = sum(m.status == MediaStatus.STORED for m in due)
    attached = attach_waiting(db.session, now)
    db.session.commit()
    return f"{len(due)} media due, {stored} stored" + (f", {attached} attached" if attached else "")


def attach_waiting(session: Session, now: datetime) -> int:
    """Attach media sent before any case (a photo alone) to the case their sender opened."""
    waiting = session.scalars(
        select(MediaFile)
        .where(MediaFile.case_id.is_(None), MediaFile.reporter_id.is_not(None))
        .where(MediaFile.inbound_message_id.is_not(None))
        .where(MediaFile.created_at >= now - ATTACH_WITHIN)
        .limit(BATCH)
    ).all()
    attached = 0
    for media in waiting:
        row = session.get(InboundRow, media.inbound_message_id)
        media.case_id = case_of(session, row) if row is not None else None
        attached += media.case_id is not None
    return attached


def on_case(session: Session, case_id: int) -> list[MediaFile]:
    """The media on a case, oldest first (for staff who may see the case)."""
    return list(
        session.scalars(
            select(MediaFile).where(MediaFile.case_id == case_id).order_by(MediaFile.id)
        )
    )


def erase_for_case(session: Session, case_id: int) -> int:
    """Delete a case's media, files and rows, when the case is erased; return how many."""
    return _delete(session, on_case(session, case_id))


def purge_unattached(session: Session, cutoff: datetime) -> int:
    """Delete media older than the cutoff that never joined a case, files and rows."""
    rows = session.scalars(
        select(MediaFile).where(MediaFile.case_id.is_(None), MediaFile.created_at < cutoff)
    ).all()
    return _delete(session, list(rows))


def _delete(session: Session, rows: list[MediaFile]) -> int:
    """Delete media files from disk and their rows; return how many."""
    for media in rows:
        if media.path:
            media_store.remove(media.path)
        session.delete(media)
    session.flush()
    return len(rows)


def register_jobs() -> None:
    """Put the media job on the schedule."""
    register(Job("media.fetch", IntervalTrigger(seconds=30, start_date=_ORIGIN), fetch_media))
