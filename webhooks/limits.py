"""Abuse limits: a flooding sender is slowed down, and fake senders cannot buy replies.

They run after a message is stored (nothing is lost) and decide only whether it is
interpreted now and what it is answered. They are counted in the database by the sender's
keyed hash, so they hold across workers and machines, in clock-hour windows: the hour now
and the 24 clock hours up to it. Inside one hour both counts grow by one a message, so
whether the previous message was held follows from the counts alone and the one query a
message costs also decides the once-an-hour neutral reply.

They live in webhooks/ because they are about the cost of answering a webhook; the API's
authenticated sync path is not limited. A sender's first message always goes through
(every limit is at least 1), and so do staff, an answer to an open question and an
emergency. A held message waits as "limited" until the sender has been quiet for an hour,
then `release_limited` interprets it without answering (webhooks/limits_admin.py).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Integer, Select, bindparam, func, select
from sqlalchemy.orm import Session

from channels import InboundMessage
from core import clock
from core.config import ConfigError
from core.db import derived_writes
from core.i18n import t
from intake import pipeline
from intake.keywords import CommandKind, parse_command
from intake.triage import triage
from intake.vocab import Priority
from models import Account, Dialog, DialogStatus, InboundStatus, Reporter
from models import InboundMessage as InboundRow

log = logging.getLogger(__name__)

#: A held message is interpreted once its sender has sent nothing for this long.
QUIET = timedelta(hours=1)
#: Admins see at most this many held senders, most held first.
SHOWN_SENDERS = 50
#: A row limit that reads every row (LIMIT takes no NULL on SQLite).
ALL_ROWS = 2**31 - 1
#: Characters of the sender's keyed hash shown to admins and logged: enough to tell apart.
HASH_PREFIX = 8
_KEYS = {
    "per_hour": "SIGAP_SENDER_LIMIT_PER_HOUR",
    "per_day": "SIGAP_SENDER_LIMIT_PER_DAY",
    "new_sender_replies": "SIGAP_NEW_SENDER_REPLIES_PER_HOUR",
}


@dataclass(frozen=True)
class Policy:
    """The limits: per sender an hour and a day, and replies to new senders an hour."""

    per_hour: int = 20
    per_day: int = 100
    new_sender_replies: int = 500

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Policy:
        """Read the limits from the app's configuration; refuse a value below 1."""
        values = {}
        for name, key in _KEYS.items():
            raw = config.get(key)
            try:
                value = int(raw) if raw not in (None, "") else getattr(cls, name)
            except (TypeError, ValueError):
                raise ConfigError(f"{key} must be a whole number, not {raw!r}") from None
            if value < 1:
                raise ConfigError(f"{key} must be at least 1, so a first message goes through")
            values[name] = value
        return cls(**values)

    def is_over(self, in_hour: int, in_day: int) -> bool:
        """Return whether a message at these positions in its windows is held."""
        return in_hour > self.per_hour or in_day > self.per_day


@dataclass(frozen=True)
class Verdict:
    """What the limits decided for one stored message."""

    is_held: bool = False
    #: For a held message: the neutral reply, or "" for an empty TwiML.
    reply: str = ""
    #: A new sender past the hour's cap: interpret, but do not answer.
    is_unanswered: bool = False


def policy() -> Policy:
    """The current app's limits."""
    return Policy.from_config(current_app.config)


def windows(now: datetime) -> tuple[datetime, datetime]:
    """Return the start of this clock hour and of the 24 clock hours up to now."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    return hour, hour - timedelta(hours=23)


def short(sender_hash: str) -> str:
    """The part of a keyed hash shown to admins and written to logs."""
    return sender_hash[:HASH_PREFIX]


def check(session: Session, row: InboundRow, msg: InboundMessage) -> Verdict:
    """Decide whether a stored message is interpreted now; hold it if the sender is over."""
    try:
        with derived_writes():
            return _check(session, row, msg, policy())
    except Exception as exc:  # a limit must never cost a reporter their answer
        session.rollback()
        log.error("inbound id=%s limits skipped: %s", row.id, type(exc).__name__)
        return Verdict()


def _check(session: Session, row: InboundRow, msg: InboundMessage, limits: Policy) -> Verdict:
    """Count the sender's messages; hold or pass this one, and see if it may be answered."""
    now = row.received_at
    in_hour, in_day, language = sender_counts(
        session, row.sender_hash, now, read_at_most=limits.per_day + 2
    )
    if limits.is_over(in_hour, in_day) and not _exempt(session, row.sender_hash, msg, now):
        # Inside one clock hour the counts grow together: the previous message was held
        # exactly when its counts were over too.
        first = in_hour == 1 or not limits.is_over(in_hour - 1, in_day - 1)
        reply = t("reply.limited", language) if first else ""
        _hold(session, row, reply, now)
        return Verdict(is_held=True, reply=reply)
    unanswered = language is None and _new_senders_full(session, now, limits)
    # No commit: the reads stay in the transaction interpretation continues, sparing the
    # webhook a second round for the write lock.
    return Verdict(is_unanswered=unanswered)


def sender_counts(
    session: Session, sender_hash: str, now: datetime, read_at_most: int | None = None
) -> tuple[int, int, str | None]:
    """Return the sender's messages this hour and in 24 hours, and their language if known.

    One statement on the (sender_hash, received_at) index. The webhook reads at most the
    daily limit plus two rows (enough to tell "over" from "just over"), so a flood does not
    make its own messages slower to count; larger counts then read as that many.
    """
    hour, day = windows(now)
    in_day, in_hour, known = session.execute(
        _COUNTS,
        {
            "sender_hash": sender_hash,
            "day": day,
            "hour": hour,
            "read_at_most": ALL_ROWS if read_at_most is None else read_at_most,
        },
    ).one()
    return in_hour, in_day, known


def _counts() -> Select:
    """The statement `sender_counts` runs on every message, built once."""
    recent = (
        select(InboundRow.received_at)
        .where(
            InboundRow.sender_hash == bindparam("sender_hash"),
            InboundRow.received_at >= bindparam("day"),
        )
        .order_by(InboundRow.received_at.desc())
        .limit(bindparam("read_at_most", type_=Integer))
        .subquery()
    )
    language = select(Reporter.language).where(Reporter.phone_hash == bindparam("sender_hash"))
    return select(
        func.count(),
        func.count().filter(recent.c.received_at >= bindparam("hour")),
        language.scalar_subquery(),
    ).select_from(recent)


_COUNTS = _counts()
#: The creation time of the newest reporter at least `back` ids below the newest: two
#: look-ups by primary key, whatever the cap and however many reporters there are.
_NTH_REPORTER = (
    select(Reporter.created_at)
    .where(
        Reporter.id
        <= select(func.max(Reporter.id)).scalar_subquery() - bindparam("back", type_=Integer)
    )
    .order_by(Reporter.id.desc())
    .limit(1)
)


def _exempt(session: Session, sender_hash: str, msg: InboundMessage, now: datetime) -> bool:
    """Staff, an answer to a question asked, and an emergency always go through."""
    staff = select(Account.id).where(Account.phone_hash == sender_hash, Account.is_active)
    asked = (
        select(Dialog.id)
        .join(Reporter, Reporter.id == Dialog.reporter_id)
        .where(Reporter.phone_hash == sender_hash, Dialog.status == DialogStatus.OPEN)
        .where(Dialog.expires_at > now)
    )
    if session.scalar(select(staff.exists() | asked.exists())):
        return True
    return is_emergency(msg.text)


def is_emergency(text: str) -> bool:
    """Return whether a message says someone is in danger now: DARURAT, or triage says so."""
    places = pipeline.gazetteer()
    command = parse_command(text, places)
    if command is not None and command.kind is CommandKind.DARURAT:
        return True
    return triage(text, places).priority == Priority.DARURAT


def _hold(session: Session, row: InboundRow, reply: str, now: datetime) -> None:
    """Keep the message as limited, with what it was answered, until the sender is quiet."""
    row.status, row.reply, row.next_attempt_at = InboundStatus.LIMITED, reply or None, now + QUIET
    session.commit()
    log.info("inbound id=%s limited sender=%s", row.id, short(row.sender_hash))


def _new_senders_full(session: Session, now: datetime, limits: Policy) -> bool:
    """Return whether this clock hour's replies to new senders are used up."""
    # Reporters are created on a first message, with ids that only grow: the reporter
    # cap - 1 ids below the newest is the cap-th newest. Where ids were skipped (a rolled
    # back insert on PostgreSQL, an erased reporter) it is a newer one, so the cap can
    # only come a little early, never late.
    nth = session.scalar(_NTH_REPORTER, {"back": limits.new_sender_replies - 1})
    return nth is not None and nth >= windows(now)[0]


def answer(session: Session, verdict: Verdict, msg: InboundMessage, reply: str) -> str:
    """Return what to answer an interpreted message: nothing to a new sender past the cap."""
    if not verdict.is_unanswered or is_emergency(msg.text):
        return reply  # a person in danger always learns their report arrived
    log.info("inbound sid=%s not answered: new-sender cap", msg.provider_message_id)
    _tell_admins(session, clock.now())
    return ""


def _tell_admins(session: Session, now: datetime) -> None:
    """Tell admins the new-sender cap was reached, once an hour."""
    from alerts.outbox import notify_admins

    hour = windows(now)[0]
    told = current_app.extensions.setdefault("sigap.limits.told", set())
    if hour in told:
        return  # this worker already told them; the outbox key covers the others
    try:
        with derived_writes():
            cap = policy().new_sender_replies
            notify_admins(session, "alert.admin.new_senders", now, cap=cap)
            session.commit()
    except Exception as exc:
        session.rollback()
        log.error("new-sender cap: admins not told: %s", type(exc).__name__)
        return
    told.add(hour)


def limits_status(session: Session, now: datetime) -> dict[str, Any]:
    """Return the configured limits, the new-sender counter and the senders being held."""
    limits = policy()
    hour, _ = windows(now)
    new_senders = session.scalar(
        select(func.count()).select_from(Reporter).where(Reporter.created_at >= hour)
    )
    is_held = InboundRow.status == InboundStatus.LIMITED
    held = session.execute(
        select(InboundRow.sender_hash, func.count(), func.min(InboundRow.received_at))
        .where(is_held)
        .group_by(InboundRow.sender_hash)
        .order_by(func.count().desc(), InboundRow.sender_hash)
        .limit(SHOWN_SENDERS)
    ).all()
    return {
        "limits": asdict(limits),
        "hour_started_at": hour.isoformat(),
        "new_senders_this_hour": new_senders,
        "new_sender_replies_left": max(limits.new_sender_replies - new_senders, 0),
        "held_messages": session.scalar(select(func.count()).where(is_held)),
        "senders": [_sender(session, h, count, since, now, limits) for h, count, since in held],
    }


def _sender(
    session: Session, sender_hash: str, held: int, since: datetime, now: datetime, limits: Policy
) -> dict[str, Any]:
    """One held sender as admins see it: a hash prefix and counts, never the number."""
    in_hour, in_day, _ = sender_counts(session, sender_hash, now)
    return {
        "sender": short(sender_hash),
        "held": held,
        "held_since": since.isoformat(),
        "this_hour": in_hour,
        "last_24_hours": in_day,
        "next_is_held": limits.is_over(in_hour + 1, in_day + 1),
    }
