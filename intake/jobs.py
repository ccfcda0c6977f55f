"""Dialogs nobody finished: after a few hours, what was said is filed as a report."""

from __future__ import annotations

import logging
from datetime import datetime

from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy import select

from alerts.outbox import enqueue
from core.db import db, due_rows
from core.i18n import t
from core.jobs import Job, register
from intake import dialog as dlg
from intake import pipeline
from models import Dialog, DialogStatus, Reporter
from models import InboundMessage as InboundRow

log = logging.getLogger(__name__)
BATCH = 200


def expire_dialogs(now: datetime) -> str:
    """File the reports of expired dialogs and send each reporter its reference."""
    due = due_rows(
        db.session,
        select(Dialog).where(Dialog.status == DialogStatus.OPEN, Dialog.expires_at <= now),
        Dialog.expires_at,
        limit=BATCH,
    )
    for dialog in due:
        _expire(dialog, now)
    db.session.commit()
    return f"{len(due)} dialogs expired"


def _expire(dialog: Dialog, now: datetime) -> None:
    state = dlg.DialogState.from_json(dialog.state)
    reporter = db.session.get_one(Reporter, dialog.reporter_id)
    first = db.session.get_one(InboundRow, dialog.inbound_message_id)
    case = pipeline.file_dialog(db.session, reporter, first, state, dialog, now)
    dialog.status, dialog.state, dialog.updated_at = DialogStatus.EXPIRED, state.to_json(), now
    if reporter.may_contact is not False and not reporter.is_opted_out:
        enqueue(
            db.session,
            key=f"dialog-expired:{dialog.id}",
            purpose="reply",
            to=reporter.phone,
            channel=first.channel,
            body=t("reply.expired", reporter.language, ref=state.reference or case.reference),
            reporter_id=reporter.id,
            case_id=case.id,
            now=now,
        )
    log.info("dialog id=%s expired into case id=%s", dialog.id, case.id)


def init_app(app: Flask) -> None:
    """Register the intake job and the `triage` command."""
    from intake.cli import make_triage_command
    from intake.gazetteer import current

    register(Job("intake.expire_dialogs", IntervalTrigger(minutes=5), expire_dialogs))
    app.cli.add_command(make_triage_command(current))
