"""The abuse limits for admins and the scheduler: `limits show` and releasing held messages."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import click
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy import func, select, update

from core import clock
from core.db import db, due_rows
from core.jobs import Job, register
from models import InboundMessage as InboundRow
from models import InboundStatus
from webhooks import limits
from webhooks.worker import Worker

log = logging.getLogger(__name__)
#: Held messages interpreted per run, oldest first.
BATCH = 200


def release_limited(now: datetime) -> str:
    """Interpret, without answering, held messages of senders quiet for an hour."""
    held = select(InboundRow).where(
        InboundRow.status == InboundStatus.LIMITED, InboundRow.next_attempt_at <= now
    )
    rows = due_rows(db.session, held, InboundRow.next_attempt_at, InboundRow.id, limit=BATCH)
    db.session.commit()
    worker = Worker.for_app()
    released, waiting = 0, set()
    for row in rows:
        if row.sender_hash in waiting or _still_sending(row.sender_hash, now):
            waiting.add(row.sender_hash)
            continue
        # No reply: the sender was answered when the message came; a report filed now
        # reaches them through its dialog's expiry, which sends the reference.
        released += worker.process(db.session, row, is_release=True)
    return f"{released} held messages interpreted, {len(waiting)} senders still sending"


def _still_sending(sender_hash: str, now: datetime) -> bool:
    """Return whether the sender wrote in the last hour; if so, look again an hour after."""
    latest = db.session.scalar(
        select(func.max(InboundRow.received_at)).where(InboundRow.sender_hash == sender_hash)
    )
    if latest is None or latest <= now - limits.QUIET:
        return False
    db.session.execute(
        update(InboundRow)
        .where(InboundRow.sender_hash == sender_hash)
        .where(InboundRow.status == InboundStatus.LIMITED, InboundRow.next_attempt_at <= now)
        .values(next_attempt_at=latest + limits.QUIET)
    )
    db.session.commit()
    return True


@click.group("limits")
def limits_group() -> None:
    """Abuse limits on inbound messages."""


@limits_group.command("show")
def show_command() -> None:
    """Print the limits, this hour's new senders and the senders being held (by hash)."""
    _print(limits.limits_status(db.session, clock.now()))


def _print(status: dict[str, Any]) -> None:
    """Write a limits status for a terminal."""
    policy = status["limits"]
    click.echo(
        f"Limits: {policy['per_hour']} messages a sender an hour, {policy['per_day']} in 24 "
        f"hours; replies to {policy['new_sender_replies']} new senders an hour of each "
        "channel and number prefix."
    )
    click.echo(
        f"New senders this hour: {status['new_senders_this_hour']} "
        f"({status['groups_at_cap']} channel and prefix groups at the reply cap)."
    )
    click.echo(f"Held messages: {status['held_messages']}.")
    if not status["senders"]:
        return
    click.echo(f"{'sender':<10}{'held':>6}{'hour':>6}{'24h':>6}  next  held since (UTC)")
    for s in status["senders"]:
        nxt = "held" if s["next_is_held"] else "ok"
        click.echo(
            f"{s['sender']:<10}{s['held']:>6}{s['this_hour']:>6}{s['last_24_hours']:>6}"
            f"  {nxt:<4}  {s['held_since'][:16]}"
        )


def init_app(app: Flask) -> None:
    """Check the configured limits, and register the `limits` commands and the release job."""
    limits.Policy.from_config(app.config)
    app.cli.add_command(limits_group)
    register(Job("limits.release", IntervalTrigger(minutes=10), release_limited))
