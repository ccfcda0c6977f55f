"""A case's media for the people who may see them: one file at a time, each read audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases import timeline
from core import media_store
from core.bounds import MAX_DB_INT
from core.config import ConfigError
from models import Account, Case, CaseEventKind, MediaFile, MediaStatus


class MediaNotFound(LookupError):
    """No stored file of this id on this case: another case's, refused, erased or purged."""


class MediaUnreadable(RuntimeError):
    """The file is there but no configured key opens it (a key removed too early)."""


@dataclass(frozen=True)
class Opened:
    """One media file of a case, decrypted."""

    media: MediaFile
    content: bytes


def open_media(
    session: Session, case: Case, media_id: int, account: Account, now: datetime
) -> Opened:
    """Return a stored file of the case, decrypted, and record the read in its timeline.

    Flushes, never commits. The caller has checked the account may read what people sent.
    """
    if not 0 < media_id <= MAX_DB_INT:  # no such id: the column holds none wider
        raise MediaNotFound(media_id)
    media = session.get(MediaFile, media_id)
    if media is None or media.case_id != case.id or media.status != MediaStatus.STORED:
        raise MediaNotFound(media_id)
    if not media.path:
        raise MediaNotFound(media_id)
    try:
        content = media_store.read(media.path)
    except FileNotFoundError:
        raise MediaNotFound(media_id) from None
    except ConfigError:
        raise MediaUnreadable(media_id) from None
    # The same audit as opening the case: who saw what, when; the file named by its id.
    timeline.record(session, case, CaseEventKind.READ, now, account, media_id=media.id)
    session.flush()
    return Opened(media, content)


def media_on_case(session: Session, case_id: int) -> list[MediaFile]:
    """The media on a case, oldest first, whatever became of each (stored, refused...)."""
    query = select(MediaFile).where(MediaFile.case_id == case_id).order_by(MediaFile.id)
    return list(session.scalars(query))
