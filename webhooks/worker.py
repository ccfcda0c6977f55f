"""The interpretation worker: take stored messages, interpret each once, send its reply.

The webhook only stores (webhooks/inbound.py). Here each message is read (command and
triage, with no database), judged by the abuse limits, interpreted by intake, marked
processed and its reply queued in the outbox and claimed, all in one transaction; right
after that commit the worker sends the reply, so nobody else sends it (a reply whose worker
died before sending is taken by the drain once its claim expires).

Order: a message is taken only while it is its sender's oldest waiting one, checked in the
transaction that interprets it. On PostgreSQL that transaction first takes an advisory lock
on the sender (`pg_try_advisory_xact_lock`, given up at commit): several workers share the
queue and never work on one sender at once. On SQLite the write lock, taken at BEGIN,
already serialises whole transactions. A worker killed mid-message leaves nothing
committed: the message is still waiting, and the next pass takes it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Integer, bindparam, func, inspect, select, text, update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from alerts import outbox
from channels import InboundMessage, Provider, make_provider
from core import clock, retry
from core.db import db, derived_writes, table_of
from core.i18n import t
from intake import pipeline
from intake.pipeline import Reading
from models import InboundMessage as InboundRow
from models import InboundStatus, Lease, Purpose
from webhooks import limits, media
from webhooks.inbound import as_message

log = logging.getLogger(__name__)

#: Seconds an idle worker waits before looking for new messages again.
POLL_SECONDS = 0.05
#: Waiting messages read per pass, oldest first.
BATCH = 100
#: Seconds a worker waits after the database failed to answer.
DATABASE_PAUSE = 1.0
#: A running worker says so this often; readiness takes it for dead once HEARTBEAT_TTL passes.
HEARTBEAT_EVERY = 10.0
HEARTBEAT_TTL = timedelta(seconds=30)
#: A message still waiting this long means no worker is taking them: admins are told.
BEHIND_AFTER = timedelta(minutes=2)

_WAITING = (
    select(InboundRow)
    .where(InboundRow.status == InboundStatus.RECEIVED)
    .order_by(InboundRow.id)
    .limit(bindparam("limit", type_=Integer))
)
_INBOUND = table_of(InboundRow)
#: Core, not ORM: read on every message, and a column, not a row object, is wanted.
_SENDERS_NEXT = select(func.min(_INBOUND.c.id)).where(
    _INBOUND.c.sender_hash == bindparam("sender_hash"),
    _INBOUND.c.status == InboundStatus.RECEIVED,
)
_SENDER_LOCK = text("SELECT pg_try_advisory_xact_lock(:key)")


def worker_id() -> str:
    """Who this process is, in claims of the outbox."""
    return f"worker:{socket.gethostname()}:{os.getpid()}"


def heartbeat(session: Session, holder: str, now: datetime, ttl: timedelta) -> None:
    """Say that this worker is alive until `now + ttl` (a lease row of its own; commits)."""
    name = "worker:" + hashlib.sha256(holder.encode()).hexdigest()[:24]
    row = session.get(Lease, name)
    if row is None:
        session.add(Lease(name=name, holder=holder[:80], expires_at=now + ttl))
    else:
        row.expires_at = now + ttl
    session.commit()


@dataclass
class Worker:
    """One worker: a provider to send replies with, and what it has done."""

    provider: Provider
    name: str = field(default_factory=worker_id)
    processed: int = 0

    @classmethod
    def for_app(cls) -> Worker:
        """A worker sending through the current app's provider."""
        return cls(make_provider(current_app.config))

    def run_once(self, batch: int = BATCH) -> int:
        """Interpret the waiting messages this worker can take now; return how many."""
        session = db.scoped()
        with derived_writes():  # a read: nothing to make durable
            rows = list(session.scalars(_WAITING, {"limit": batch}))
            session.commit()  # end the read: each message gets its own transaction
        return sum(self.process(session, row) for row in rows)

    def run_until_empty(self) -> int:
        """Work until nothing is waiting that this worker can take; return how many."""
        total = 0
        while done := self.run_once():
            total += done
        return total

    def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set, looking for new messages every few tens of ms."""
        pipeline.warm_up()
        log.info("worker %s started", self.name)
        beaten = 0.0
        while not stop.is_set():
            try:
                if time.monotonic() - beaten >= HEARTBEAT_EVERY:
                    heartbeat(db.scoped(), self.name, clock.now(), HEARTBEAT_TTL)
                    beaten = time.monotonic()
                done = self.run_once()
            except DBAPIError as exc:
                db.session.rollback()
                log.warning("worker: database error %s; trying again", type(exc).__name__)
                stop.wait(DATABASE_PAUSE)
                continue
            if not done:
                stop.wait(POLL_SECONDS)
        self.close()
        with contextlib.suppress(DBAPIError):
            heartbeat(db.scoped(), self.name, clock.now(), timedelta(0))  # gone at once
        log.info("worker %s stopped after %d messages", self.name, self.processed)

    def close(self) -> None:
        """Let the provider go (a Twilio client's connections)."""
        close = getattr(self.provider, "close", None)
        if close is not None:
            close()

    def process(self, session: Session, row: InboundRow, *, is_release: bool = False) -> bool:
        """Interpret one message if it is its sender's next; send its reply; return whether.

        `is_release`: a message the limits held, now let through without an answer.
        """
        msg = as_message(row)
        reading: Reading | None = None
        failure: Exception | None = None
        try:
            reading = pipeline.read(msg.text)
        except Exception as exc:  # the places could not be read: keep it as failed
            failure = exc
        now = clock.now()
        expected = InboundStatus.LIMITED if is_release else InboundStatus.RECEIVED
        # The commit is durable (not `derived_writes`): it claims the reply, which is sent
        # right after it, so a power cut can never take back a message already answered.
        if not take(session, row, expected):
            session.rollback()
            return False
        try:
            if reading is None:  # the reading failed: `failure` says why
                raise failure or RuntimeError("message not read")
            claims = _interpret(session, row, msg, reading, now, is_release, self.name)
        except OperationalError:
            # The database, not the message: locked or gone. Nothing was kept; the message
            # waits, and the loop tries again after a pause.
            session.rollback()
            raise
        except Exception as exc:
            session.rollback()
            claims = _fail(session, row, exc, now, expected, self.name)
        self.processed += 1
        self._send(claims)
        return True

    def _send(self, claims: list) -> None:
        """Send the reply just committed; what fails here the drain job retries."""
        if not claims:
            return
        try:
            # The outcome may be lost in a power cut: the claim then expires, and the drain
            # asks the provider whether the message went before sending it again.
            with derived_writes():
                outbox.send_claimed(claims, self.provider, self.name, clock.now())
        except Exception as exc:
            db.session.rollback()
            log.warning("worker: reply left to the drain: %s", type(exc).__name__)


def take(session: Session, row: InboundRow, expected: InboundStatus) -> bool:
    """Begin the message's transaction; return whether it is its sender's next, and ours."""
    if session.get_bind().dialect.name == "postgresql":
        key = int(row.sender_hash[:15], 16)  # 60 bits: a bigint; a collision only waits
        if not session.scalar(_SENDER_LOCK, {"key": key}):
            return False
    if expected is InboundStatus.RECEIVED:
        return session.scalar(_SENDERS_NEXT, {"sender_hash": row.sender_hash}) == row.id
    status = session.scalar(select(InboundRow.status).where(InboundRow.id == row.id))
    return status == expected


def _interpret(
    session: Session,
    row: InboundRow,
    msg: InboundMessage,
    reading: Reading,
    now: datetime,
    is_release: bool,
    worker: str,
) -> list:
    """Apply the limits' decision, interpret, queue and claim the reply; commit; return the
    claim."""
    verdict = limits.Verdict() if is_release else limits.decide(session, row, reading)
    if verdict.is_held:
        limits.hold(row, verdict.reply, now)
        reply = verdict.reply
    else:
        # Intake flushes what its later queries must see; the rest goes once, at commit.
        with session.no_autoflush:
            reply = pipeline.handle_message(session, row, msg, now, reading)
            media.record(session, row, msg, now)
        if verdict.is_unanswered:
            log.info("inbound id=%s not answered: new-sender cap", row.id)
            limits.tell_admins(session, now)
            reply = ""
        if is_release:
            reply = ""  # the sender was answered when the message came
        row.status, row.reply, row.processed_at = InboundStatus.PROCESSED, reply or None, now
        row.error, row.next_attempt_at = None, None
    _write_outcome(session, row)
    claims = _queue_reply(session, row, msg.channel, f"reply:{row.id}", reply, now, worker)
    session.commit()
    log.info(
        "inbound id=%s channel=%s %s", row.id, msg.channel, row.status, extra={"message_id": row.id}
    )
    return claims


#: What interpretation changes on a message: written by one UPDATE, not by a flush.
_OUTCOME = ("status", "reply", "processed_at", "error", "next_attempt_at", "reporter_id")
_OUTCOME_WITH_DIALOG = (*_OUTCOME, "dialog_id")
_COLUMNS = tuple(column.key for column in inspect(InboundRow).column_attrs)
_WRITE_OUTCOME = update(_INBOUND).where(_INBOUND.c.id == bindparam("row_id"))


def _write_outcome(session: Session, row: InboundRow) -> None:
    """Write the message's outcome with one UPDATE; the row then stands as written.

    Intake may have set the row's reporter and dialog: they go in this UPDATE too. The
    row's changes are then taken as committed (expired and set back without history), so
    the commit's flush has nothing of it left to write.
    """
    keys = _OUTCOME if row.dialog_id is None else _OUTCOME_WITH_DIALOG
    loaded = {key: getattr(row, key) for key in _COLUMNS}
    with session.no_autoflush:  # the row's own changes are in this UPDATE
        session.execute(_WRITE_OUTCOME, {"row_id": row.id, **{key: loaded[key] for key in keys}})
    session.expire(row)
    for key, value in loaded.items():
        set_committed_value(row, key, value)


def _queue_reply(
    session: Session,
    row: InboundRow,
    channel: str,
    key: str,
    reply: str,
    now: datetime,
    worker: str,
) -> list[outbox.Claim]:
    """Write the reply claimed by this worker, to send right after the commit; its claim."""
    if not reply:
        return []
    message = outbox.message(
        key=key,
        purpose=Purpose.REPLY,
        to=row.sender,
        channel=channel,
        body=reply,
        reporter_id=row.reporter_id,
        via=row.provider,  # answered from the number the reporter wrote to
        now=now,
    )
    return outbox.enqueue_claimed(session, message, worker, now)


def _fail(
    session: Session,
    row: InboundRow,
    error: Exception,
    now: datetime,
    expected: InboundStatus,
    worker: str,
) -> list:
    """Keep a message whose interpretation raised as failed, for the sweeper; answer once."""
    if not take(session, row, expected):  # the rollback let it go: another worker has it
        session.rollback()
        return []
    row.attempts += 1
    row.status = InboundStatus.FAILED
    row.error = type(error).__name__  # the type only: a message could quote the text
    # After the last attempt: None, kept as failed for an admin; never dropped.
    row.next_attempt_at = retry.INBOUND.next_attempt_at(row.attempts, now)
    reply = t("reply.try_again")
    row.reply = row.reply or reply
    # A reporter whose message could not be understood hears so, once, however many tries.
    # A held message being released was answered when it came.
    key = f"reply:{row.id}:failed"
    is_answered = expected is not InboundStatus.LIMITED
    claims = _queue_reply(session, row, row.channel, key, reply, now, worker) if is_answered else []
    session.commit()
    log.warning(
        "inbound id=%s failed attempt=%s error=%s",
        row.id,
        row.attempts,
        row.error,
        extra={"message_id": row.id},
    )
    return claims


def oldest_waiting(session: Session) -> datetime | None:
    """Since when the longest-waiting message has waited for a worker."""
    return session.scalar(
        select(func.min(InboundRow.next_attempt_at)).where(
            InboundRow.status == InboundStatus.RECEIVED
        )
    )
