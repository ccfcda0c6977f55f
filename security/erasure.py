"""Erasure on request: a case's personal fields go; its facts and its timeline stay.

What goes: the text of every report of the case, the raw messages those reports came from
(text, media links, WhatsApp profile name), the text kept in their dialogs, the free text of
notes and reasons in the timeline, and the reporter's phone number when nothing else needs
it (no other report, no open dialog on another report, no message still to interpret).
What stays: the case, its category, priority, place, agencies, deadlines and every timeline
event (who did what when), plus one more event saying who erased it, when and why.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cases import referrals, timeline
from models import (
    Account,
    Case,
    CaseEventKind,
    Dialog,
    DialogStatus,
    InboundMessage,
    InboundStatus,
    Outbox,
    OutboxStatus,
    Report,
    Reporter,
    Role,
)
from webhooks import media

log = logging.getLogger(__name__)

#: What an erased text reads as (the same marker as erased timeline text).
ERASED = timeline.REDACTED
#: Stands in for the lookup hash of an erased number: no number ever hashes to it.
ERASED_HASH = "erased"


class NotAllowed(PermissionError):
    """Only an active admin may erase."""


@dataclass
class Erasure:
    """How many rows of each kind one erasure changed."""

    reports: int = 0
    messages: int = 0
    dialogs: int = 0
    events: int = 0
    reporters: int = 0
    outbox: int = 0


def _set(row: Any, attr: str, value: Any) -> int:
    """Set an attribute if it differs; return 1 if it changed."""
    if getattr(row, attr) == value:
        return 0
    setattr(row, attr, value)
    return 1


def erase_case(session: Session, case: Case, actor: Account, reason: str, now: datetime) -> Erasure:
    """Erase a case's personal fields and record who erased them, when and why."""
    if actor.role != Role.ADMIN or not actor.is_active:
        raise NotAllowed(f"account {actor.id} is not an active admin")
    if not reason.strip():
        raise ValueError("an erasure needs a reason")
    done = Erasure()
    reports = list(case.reports)
    done.reports = sum(_set(r, "text", ERASED) for r in reports)
    for report in reports:
        _set(report, "triage_reasons", None)  # quotes the text
    message_ids = {r.inbound_message_id for r in reports if r.inbound_message_id is not None}
    message_ids |= _dialog_answers(session, message_ids)
    reporters = _reporters_only_here(session, case, {r.reporter_id for r in reports})
    hashes = {r.phone_hash for r in reporters}
    done.reporters = sum(_erase_reporter(r) for r in reporters)
    done.messages = _erase_messages(session, message_ids, hashes)
    done.dialogs = _erase_dialogs(session, case, message_ids, {r.id for r in reporters})
    done.outbox = _erase_outbox(session, {r.id for r in reporters}, hashes)
    done.events = sum(timeline.redact(e) for e in case.events if e.kind != CaseEventKind.ERASED)
    done.events += referrals.erase_free_text(session, case)  # referral notes, task titles
    media.erase_for_case(session, case.id)  # photos and voice notes go with the case
    session.flush()
    timeline.record(
        session, case, CaseEventKind.ERASED, now, actor, reason=reason.strip(), **asdict(done)
    )
    session.flush()
    log.info("case id=%s erased by account id=%s: %s", case.id, actor.id, asdict(done))
    return done


def _dialog_answers(session: Session, first_ids: set[int]) -> set[int]:
    """The messages that answered the dialogs these messages began."""
    if not first_ids:
        return set()
    dialogs = select(Dialog.id).where(Dialog.inbound_message_id.in_(first_ids))
    return set(
        session.scalars(select(InboundMessage.id).where(InboundMessage.dialog_id.in_(dialogs)))
    )


def _reporters_only_here(session: Session, case: Case, ids: set[int | None]) -> list[Reporter]:
    """The case's reporters whose number nothing outside this case still needs."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return []
    other_reports = select(Report.reporter_id).where(
        Report.reporter_id.in_(wanted), or_(Report.case_id != case.id, Report.case_id.is_(None))
    )
    busy = set(session.scalars(other_reports))
    for dialog in session.scalars(
        select(Dialog).where(Dialog.reporter_id.in_(wanted), Dialog.status == DialogStatus.OPEN)
    ):
        if _state(dialog).get("case_id") != case.id:
            busy.add(dialog.reporter_id)  # an answer on another report is still coming
    reporters = session.scalars(select(Reporter).where(Reporter.id.in_(wanted - busy))).all()
    return [r for r in reporters if not _awaiting_interpretation(session, r)]


def _awaiting_interpretation(session: Session, reporter: Reporter) -> bool:
    """Say whether a message from this number is still to be interpreted (never lost)."""
    pending = select(InboundMessage.id).where(
        InboundMessage.sender_hash == reporter.phone_hash,
        InboundMessage.status != InboundStatus.PROCESSED,
    )
    return session.scalar(pending.limit(1)) is not None


def _erase_reporter(reporter: Reporter) -> int:
    """Erase a reporter's number; a new message from it makes a new, unrelated reporter."""
    changed = _set(reporter, "phone", ERASED)
    _set(reporter, "phone_hash", f"{ERASED_HASH}:{reporter.id}")  # unique, matches nothing
    return changed


def _erase_messages(session: Session, ids: set[int], hashes: set[str]) -> int:
    """Erase what the case's raw messages said, and the sender of an erased reporter's."""
    if not ids and not hashes:
        return 0
    rows = session.scalars(
        select(InboundMessage).where(
            or_(InboundMessage.id.in_(ids), InboundMessage.sender_hash.in_(hashes))
        )
    ).all()
    changed = 0
    for row in rows:
        n = _set(row, "body", ERASED) + _set(row, "media", None)
        n += _set(row, "profile_name", None) + _set(row, "button_payload", None)
        if row.sender_hash in hashes:
            n += _set(row, "sender", ERASED) + _set(row, "sender_hash", ERASED_HASH)
        changed += bool(n)
    return changed


def _state(dialog: Dialog) -> dict[str, Any]:
    try:
        state = json.loads(dialog.state)
    except ValueError:
        return {}
    return state if isinstance(state, dict) else {}


def _erase_dialogs(
    session: Session, case: Case, message_ids: set[int], reporter_ids: set[int]
) -> int:
    """Erase the text a dialog kept; an open dialog of this case ends."""
    dialogs = session.scalars(
        select(Dialog).where(
            or_(Dialog.inbound_message_id.in_(message_ids), Dialog.reporter_id.in_(reporter_ids))
        )
    ).all()
    changed = 0
    for dialog in dialogs:
        state = _state(dialog)
        n = 0
        if state.get("text") not in (None, ERASED):
            n = _set(dialog, "state", json.dumps(state | {"text": ERASED}))
        if dialog.status == DialogStatus.OPEN and state.get("case_id") == case.id:
            n += _set(dialog, "status", DialogStatus.CANCELLED)
        changed += bool(n)
    return changed


def _erase_outbox(session: Session, reporter_ids: set[int], hashes: set[str]) -> int:
    """Erase an erased reporter's number from messages to them; unsent ones are cancelled."""
    if not reporter_ids:
        return 0
    rows = session.scalars(
        select(Outbox).where(or_(Outbox.reporter_id.in_(reporter_ids), Outbox.to_hash.in_(hashes)))
    ).all()
    changed = 0
    for row in rows:
        n = _set(row, "to", ERASED) + _set(row, "to_hash", ERASED_HASH)
        if row.status == OutboxStatus.PENDING:
            n += _set(row, "status", OutboxStatus.CANCELLED)
        changed += bool(n)
    return changed
