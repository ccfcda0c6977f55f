"""Read what the database holds after a scenario, as one JSON line.

    python chaos/inspect_db.py all|sids|outbox-rows|interpretations

Runs with the scenario's environment (DATABASE_URL, SIGAP_DATA_KEY), so encrypted columns
read through the app's own models; it only reads.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from core.app import create_app
from core.db import db
from models import InboundMessage, InboundStatus, Outbox, OutboxStatus, Purpose, Report

#: Outbox states a row can still leave by itself (the drain takes it).
OPEN = (OutboxStatus.PENDING, OutboxStatus.SENDING)
#: Inbound states the retry job still works on (when next_attempt_at is set).
UNFINISHED = (InboundStatus.RECEIVED, InboundStatus.FAILED)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def inbound_counts() -> dict:
    """Stored messages by status, duplicates by provider id, what the sweeper still owes."""
    by_status = dict(
        db.session.execute(
            select(InboundMessage.status, func.count()).group_by(InboundMessage.status)
        ).all()
    )
    dup_groups = db.session.execute(
        select(func.count()).select_from(
            select(InboundMessage.provider, InboundMessage.provider_message_id)
            .group_by(InboundMessage.provider, InboundMessage.provider_message_id)
            .having(func.count() > 1)
            .subquery()
        )
    ).scalar_one()
    unfinished = (
        InboundMessage.status.in_(UNFINISHED),
        InboundMessage.next_attempt_at.is_not(None),
    )
    due, next_due = db.session.execute(
        select(func.count(), func.min(InboundMessage.next_attempt_at)).where(*unfinished)
    ).one()
    spooled = db.session.scalar(select(func.count()).where(InboundMessage.spooled_at.is_not(None)))
    return {
        "total": sum(by_status.values()),
        "by_status": {str(k): v for k, v in by_status.items()},
        "dup_groups": dup_groups,
        "due": due,
        "next_due": _iso(next_due),
        "spooled": spooled,
    }


def outbox_counts() -> dict:
    """Outbound rows by status and purpose, and what the drain still owes."""
    by_status = dict(
        db.session.execute(select(Outbox.status, func.count()).group_by(Outbox.status)).all()
    )
    by_purpose = dict(
        db.session.execute(select(Outbox.purpose, func.count()).group_by(Outbox.purpose)).all()
    )
    open_, next_due = db.session.execute(
        select(func.count(), func.min(Outbox.next_attempt_at)).where(Outbox.status.in_(OPEN))
    ).one()
    return {
        "total": sum(by_status.values()),
        "by_status": {str(k): v for k, v in by_status.items()},
        "by_purpose": {str(k): v for k, v in by_purpose.items()},
        "open": open_,
        "next_due": _iso(next_due),
    }


def outbox_rows() -> list[dict]:
    """Every outbound row, decrypted: to match what a Twilio stand-in received."""
    return [
        {
            "id": row.id,
            "status": str(row.status),
            "purpose": str(row.purpose),
            "channel": row.channel,
            "to": row.to,
            "body": row.body,
            "sid": row.provider_message_id,
            "attempts": row.attempts,
        }
        for row in db.session.scalars(select(Outbox).order_by(Outbox.id))
    ]


def interpretations() -> dict:
    """Whether any message was interpreted twice: reports and replies per inbound message."""
    reports_twice = db.session.scalar(
        select(func.count()).select_from(
            select(Report.inbound_message_id)
            .where(Report.inbound_message_id.is_not(None))
            .group_by(Report.inbound_message_id)
            .having(func.count() > 1)
            .subquery()
        )
    )
    keys = db.session.scalars(
        select(Outbox.idempotency_key).where(
            Outbox.purpose == Purpose.REPLY, Outbox.idempotency_key.like("reply:%")
        )
    )
    # "reply:<id>" only: not the one-off "could not process" word, nor an SMS fallback.
    replies = sum(1 for key in keys if key.count(":") == 1)
    answered = db.session.scalar(
        select(func.count()).where(
            InboundMessage.status == InboundStatus.PROCESSED, InboundMessage.reply.is_not(None)
        )
    )
    return {"reports_twice": reports_twice, "replies": replies, "answered": answered}


def main(what: str) -> None:
    app = create_app()
    with app.app_context():
        if what == "all":
            out: object = {"inbound": inbound_counts(), "outbox": outbox_counts()}
        elif what == "sids":
            out = list(db.session.scalars(select(InboundMessage.provider_message_id)))
        elif what == "outbox-rows":
            out = outbox_rows()
        elif what == "interpretations":
            out = interpretations()
        else:
            raise SystemExit(f"unknown: {what}")
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
