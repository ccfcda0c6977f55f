"""Abuse limits: a flooding sender is slowed down, and fake senders cannot buy replies.

The worker asks them about every stored message before interpreting it (nothing is lost),
with the message's reading (intake.pipeline.read); they decide whether it is interpreted
now and whether it is answered, and write nothing: the worker applies the decision in its
own transaction. They are counted in the database by the sender's keyed hash, so they hold
across workers and machines, in clock-hour windows: the hour of the message and the 24
clock hours up to it, counting only messages received up to this one, so a backlog drained
late is judged as it would have been at once. Inside one hour both counts grow by one a
message, so whether the previous message was held follows from the counts alone and the
one query a message costs also decides the once-an-hour neutral reply.

A sender's first message always goes through (every limit is at least 1), and so do staff
and an emergency. A real answer to the question an open dialog asks goes through too, up
to `EXEMPT_PER_HOUR` messages past the hourly limit; anything else from that number is
counted like any message. A held message waits as "limited" until the sender has been quiet
for an hour, then `release_limited` interprets it without answering (webhooks/limits_admin.py).
New senders are answered up to a cap an hour per channel and number prefix; a first message
that reads as a report is always answered.
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

from core.config import ConfigError
from core.db import table_of
from core.i18n import t
from intake import pipeline
from intake.pipeline import Reading
from models import Account, Dialog, DialogStatus, InboundStatus, Reporter
from models import InboundMessage as InboundRow

log = logging.getLogger(__name__)

#: A held message is interpreted once its sender has sent nothing for this long.
QUIET = timedelta(hours=1)
#: Admins see at most this many held senders, most held first.
SHOWN_SENDERS = 50
#: A row limit that reads every row (LIMIT takes no NULL on SQLite).
ALL_ROWS = 2**31 - 1
#: Messages taken past the hourly limit as answers to an open dialog's question (or from
#: staff), at most, in one clock hour: the hard cap on exempt traffic. Emergencies always pass.
EXEMPT_PER_HOUR = 10
#: Characters of the sender's keyed hash shown to admins and logged: enough to tell apart.
HASH_PREFIX = 8
_KEYS = {
    "per_hour": "SIGAP_SENDER_LIMIT_PER_HOUR",
    "per_day": "SIGAP_SENDER_LIMIT_PER_DAY",
    "new_sender_replies": "SIGAP_NEW_SENDER_REPLIES_PER_HOUR",
}


@dataclass(frozen=True)
class Policy:
    """The limits: per sender an hour and a day; replies to new senders of a group an hour."""

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


def decide(session: Session, row: InboundRow, reading: Reading) -> Verdict:
    """Decide whether a stored message is interpreted now and answered; write nothing.

    A limit must never cost a reporter their answer: if deciding fails, the message passes.
    On PostgreSQL the reads run in a savepoint, so a failure leaves the caller's transaction
    usable (a failed statement there aborts the whole transaction; on SQLite only itself).
    """
    try:
        if session.get_bind().dialect.name != "postgresql":
            # SQLite undoes only the statement that failed: the transaction stays usable.
            return _decide(session, row, reading, policy())
        with session.begin_nested():
            return _decide(session, row, reading, policy())
    except Exception as exc:
        log.error("inbound id=%s limits skipped: %s", row.id, type(exc).__name__)
        return Verdict()


def _decide(session: Session, row: InboundRow, reading: Reading, limits: Policy) -> Verdict:
    """Count the sender's messages up to this one; hold or pass it, and see if it is answered."""
    now = row.received_at
    in_hour, in_day, language, held = sender_counts(
        session, row.sender_hash, now, read_at_most=limits.per_day + 2, up_to=row.id
    )
    # Messages before this one in the hour that went through past the hourly limit.
    exempted = max(in_hour - 1 - held - limits.per_hour, 0)
    if limits.is_over(in_hour, in_day) and not _exempt(session, row, reading, exempted):
        # Inside one clock hour the counts grow together: the previous message was held
        # exactly when its counts were over too.
        first = in_hour == 1 or not limits.is_over(in_hour - 1, in_day - 1)
        return Verdict(is_held=True, reply=t("reply.limited", language) if first else "")
    if language is not None or reading.is_report:
        return Verdict()  # a known sender, or a first message that reports something
    return Verdict(is_unanswered=_new_senders_full(session, row, now, limits))


def sender_counts(
    session: Session,
    sender_hash: str,
    now: datetime,
    read_at_most: int | None = None,
    up_to: int | None = None,
) -> tuple[int, int, str | None, int]:
    """Return the sender's messages this hour and in 24 hours, their language if known,
    and how many of this hour's were held.

    One statement on the (sender_hash, received_at) index, counting messages received up
    to `now` (and, with `up_to`, stored no later than that row). The worker reads at most
    the daily limit plus two rows (enough to tell "over" from "just over"), so a flood
    does not make its own messages slower to count; larger counts then read as that many.
    """
    hour, day = windows(now)
    in_day, in_hour, known, held = session.execute(
        _COUNTS,
        {
            "sender_hash": sender_hash,
            "day": day,
            "hour": hour,
            "now": now,
            "up_to": ALL_ROWS if up_to is None else up_to,
            "read_at_most": ALL_ROWS if read_at_most is None else read_at_most,
        },
    ).one()
    return in_hour, in_day, known, held


def _counts() -> Select:
    """The statement `sender_counts` runs on every message, built once (Core: no ORM rows)."""
    inbound, reporter = table_of(InboundRow), table_of(Reporter)
    recent = (
        select(inbound.c.received_at, inbound.c.status)
        .where(
            inbound.c.sender_hash == bindparam("sender_hash"),
            inbound.c.received_at >= bindparam("day"),
            inbound.c.received_at <= bindparam("now"),
            inbound.c.id <= bindparam("up_to", type_=Integer),
        )
        .order_by(inbound.c.received_at.desc())
        .limit(bindparam("read_at_most", type_=Integer))
        .subquery()
    )
    language = select(reporter.c.language).where(reporter.c.phone_hash == bindparam("sender_hash"))
    return select(
        func.count(),
        func.count().filter(recent.c.received_at >= bindparam("hour")),
        language.scalar_subquery(),
        func.count().filter(
            recent.c.received_at >= bindparam("hour"), recent.c.status == InboundStatus.LIMITED
        ),
    ).select_from(recent)


_COUNTS = _counts()
#: This hour's new reporters of one channel and number prefix, read no further than the cap.
_GROUP_COUNT = select(func.count()).select_from(
    select(Reporter.id)
    .where(
        Reporter.sender_group == bindparam("group"),
        Reporter.created_at >= bindparam("hour"),
    )
    .limit(bindparam("cap", type_=Integer))
    .subquery()
)


def _exempt(session: Session, row: InboundRow, reading: Reading, exempted: int) -> bool:
    """Staff and an emergency always go through; a real answer to a question, up to a cap."""
    if reading.is_emergency:
        return True
    staff = select(Account.id).where(Account.phone_hash == row.sender_hash, Account.is_active)
    if session.scalar(select(staff.exists())):
        return True
    if reading.command is not None or exempted >= EXEMPT_PER_HOUR:
        return False
    dialog = session.scalar(
        select(Dialog)
        .join(Reporter, Reporter.id == Dialog.reporter_id)
        .where(Reporter.phone_hash == row.sender_hash, Dialog.status == DialogStatus.OPEN)
        .where(Dialog.expires_at > row.received_at)
        .order_by(Dialog.id.desc())
        .limit(1)
    )
    return dialog is not None and pipeline.answers_question(dialog, row.body)


def _new_senders_full(session: Session, row: InboundRow, now: datetime, limits: Policy) -> bool:
    """Return whether this hour's replies to new senders of the row's group are used up."""
    group = pipeline.sender_group(row.channel, row.sender)
    cap = limits.new_sender_replies
    count = session.scalar(_GROUP_COUNT, {"group": group, "hour": windows(now)[0], "cap": cap})
    return (count or 0) >= cap


def hold(row: InboundRow, reply: str, now: datetime) -> None:
    """Keep the message as limited, with what it was answered, until the sender is quiet."""
    row.status, row.reply, row.next_attempt_at = InboundStatus.LIMITED, reply or None, now + QUIET
    log.info("inbound id=%s limited sender=%s", row.id, short(row.sender_hash))


def tell_admins(session: Session, now: datetime) -> None:
    """Queue, in the caller's transaction, the once-an-hour word that the cap was reached."""
    from alerts.outbox import notify_admins

    notify_admins(session, "alert.admin.new_senders", now, cap=policy().new_sender_replies)


def limits_status(session: Session, now: datetime) -> dict[str, Any]:
    """Return the configured limits, the new-sender counter and the senders being held."""
    limits = policy()
    hour, _ = windows(now)
    new_senders = session.scalar(
        select(func.count()).select_from(Reporter).where(Reporter.created_at >= hour)
    )
    groups_full = session.scalar(
        select(func.count()).select_from(
            select(Reporter.sender_group)
            .where(Reporter.created_at >= hour, Reporter.sender_group.is_not(None))
            .group_by(Reporter.sender_group)
            .having(func.count() >= limits.new_sender_replies)
            .subquery()
        )
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
        "groups_at_cap": groups_full,
        "held_messages": session.scalar(select(func.count()).where(is_held)),
        "senders": [_sender(session, h, count, since, now, limits) for h, count, since in held],
    }


def _sender(
    session: Session, sender_hash: str, held: int, since: datetime, now: datetime, limits: Policy
) -> dict[str, Any]:
    """One held sender as admins see it: a hash prefix and counts, never the number."""
    in_hour, in_day, _, _ = sender_counts(session, sender_hash, now)
    return {
        "sender": short(sender_hash),
        "held": held,
        "held_since": since.isoformat(),
        "this_hour": in_hour,
        "last_24_hours": in_day,
        "next_is_held": limits.is_over(in_hour + 1, in_day + 1),
    }
