"""The reporter's safety words, and the staff commands of case work that follows through.

`BERHENTI`/`STOP`: no more messages to this number until `MULAI`/`START`.
`HAPUS`/`DELETE`: what this number sent in its open dialog is erased, the number is no longer
linked to any report (STATUS then answers as to a stranger), and nothing more is sent to it.
The answer to either word is the last message the number gets, and says nothing of a case.
A case already opened (an emergency) stays with the officers; only the texts go.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cases import police, relay, timeline
from core import deployment
from core.i18n import t
from intake.keywords import Command, CommandKind
from intake.triage import Triage, triage
from models import (
    Case,
    CaseEventKind,
    Dialog,
    DialogStatus,
    InboundMessage,
    Outbox,
    OutboxStatus,
    Priority,
    Report,
    Reporter,
)

log = logging.getLogger(__name__)

#: What an erased text reads as: the marker erasure everywhere uses.
ERASED = timeline.REDACTED


def handle(
    session: Session, reporter: Reporter, row: InboundMessage, cmd: Command, now: datetime
) -> str | None:
    """Answer a safety word or LAPORPOLISI; None for every other command."""
    if cmd.kind is CommandKind.BERHENTI:
        opt_out(session, reporter, now)
        return t("reply.safety.stopped", reporter.language)
    if cmd.kind is CommandKind.MULAI:
        opt_in(reporter, row)
        return t("reply.safety.started", reporter.language)
    if cmd.kind is CommandKind.HAPUS:
        erase(session, reporter, row, now)
        return t("reply.safety.erased", reporter.language)
    if cmd.kind is CommandKind.LAPORPOLISI and cmd.ref is not None:
        return police.sms_command(session, cmd.ref, row.sender_hash, now)
    return None


def reply_to_case(
    session: Session,
    reporter: Reporter,
    row: InboundMessage,
    text: str,
    now: datetime,
    result: Triage | None = None,
) -> str | None:
    """A reporter's message to their open case, outside any dialog; None when it is intake.

    `result`: the text's triage when the caller has it already (the message's reading).
    """
    from intake.gazetteer import current

    if result is None:
        result = triage(text, current())
    if result.priority == Priority.DARURAT:
        return None  # someone is in danger now: intake opens or raises the case
    return relay.reporter_reply(
        session, reporter, row, text, now, deployment.current().tz, is_report=result.is_report
    )


def opt_out(session: Session, reporter: Reporter, now: datetime) -> None:
    """Send this number nothing more (bar the answer now); cancel what waits for it."""
    reporter.is_opted_out, reporter.opted_out_at = True, now
    session.execute(
        update(Outbox)
        .where(Outbox.to_hash == reporter.phone_hash, Outbox.account_id.is_(None))
        .where(Outbox.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.CANCELLED, status_at=now)
    )


def opt_in(reporter: Reporter, row: InboundMessage) -> None:
    """Messages may go to this number again."""
    reporter.is_opted_out, reporter.opted_out_at = False, None
    if reporter.phone == ERASED:
        reporter.phone = row.sender  # forgotten by HAPUS, given again by its owner


def erase(session: Session, reporter: Reporter, row: InboundMessage, now: datetime) -> None:
    """HAPUS: erase the open dialog's texts, forget the number's reports, stop messages."""
    cases: set[int] = set()
    dialog = session.scalar(
        select(Dialog)
        .where(Dialog.reporter_id == reporter.id, Dialog.status == DialogStatus.OPEN)
        .order_by(Dialog.id.desc())
        .limit(1)
    )
    erased = _erase_dialog(session, reporter, dialog, now, cases) if dialog is not None else 0
    row.body = ERASED  # the word itself says what the phone's owner wanted
    reports = session.scalars(select(Report).where(Report.reporter_id == reporter.id)).all()
    for report in reports:
        report.reporter_id = None  # STATUS from this number now answers as to a stranger
        if report.case_id is not None:
            cases.add(report.case_id)
    reporter.phone, reporter.may_contact = ERASED, None
    opt_out(session, reporter, now)
    for case in session.scalars(select(Case).where(Case.id.in_(cases))):
        for event in case.events:
            if event.kind == CaseEventKind.REPORTER_REPLY:  # what they wrote to staff goes too
                timeline.redact(event)
        timeline.record(session, case, CaseEventKind.REPORTER_ERASED, now, actor_label="reporter")
    session.flush()
    log.info("reporter id=%s erased: %s messages, %s cases", reporter.id, erased, len(cases))


def _erase_dialog(
    session: Session, reporter: Reporter, dialog: Dialog, now: datetime, cases: set[int]
) -> int:
    """Erase what was said in a dialog, and the text of the report filed from it."""
    try:
        state = json.loads(dialog.state)
    except ValueError:
        state = {}
    if isinstance(state, dict):
        if state.get("case_id"):
            cases.add(state["case_id"])
        dialog.state = json.dumps(state | {"text": ERASED})
    dialog.status, dialog.updated_at = DialogStatus.CANCELLED, now
    messages = session.scalars(
        select(InboundMessage).where(
            InboundMessage.reporter_id == reporter.id,
            InboundMessage.id >= (dialog.inbound_message_id or 0),
        )
    ).all()
    for message in messages:
        message.body, message.media = ERASED, None
        message.profile_name = message.button_payload = None
    ids = [m.id for m in messages]
    for report in session.scalars(select(Report).where(Report.inbound_message_id.in_(ids))):
        report.text = ERASED
    return len(messages)
