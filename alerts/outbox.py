"""The outbox: every outbound message is a row first, and a drain sends each row once.

Services call `enqueue` inside their own transaction, so a message exists exactly when the
change that caused it commits. `drain` claims due rows (several workers may drain at once),
sends them outside the claim transaction, and records what the provider said.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, case, exists, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from alerts import optout
from channels import (
    ChannelError,
    DeliveryStatus,
    Outgoing,
    Provider,
    SendOutcome,
    SendResult,
    message_facts,
)
from channels.base import StatusUpdate
from core import metrics, retry
from core.crypto import lookup_hash
from core.db import db, due_rows, table_of
from core.i18n import t
from models import (
    Account,
    AlertChain,
    Case,
    Channel,
    Outbox,
    OutboxStatus,
    Priority,
    Purpose,
    Reporter,
    Role,
)

log = logging.getLogger(__name__)

#: A claim older than this is a worker that died mid-send: the next drain takes it back.
CLAIM_TIMEOUT = timedelta(minutes=5)
#: Messages that are part of a case's alert chain.
ALERT_PURPOSES = frozenset({Purpose.ALERT, Purpose.REMINDER, Purpose.ESCALATION})
#: How long an alert stays worth delivering: a darurat alert hours late is worse than one
#: that fails and escalates to the next person.
ALERT_VALIDITY: dict[str, timedelta] = {
    Priority.DARURAT: timedelta(minutes=15),
    Priority.TINGGI: timedelta(hours=1),
    Priority.BIASA: timedelta(hours=4),
}
#: The delivery states a row can be in once the provider has accepted it.
_DELIVERY = {s.value: s for s in DeliveryStatus}


@dataclass
class DrainStats:
    """What one drain did, by outcome."""

    claimed: int = 0
    sent: int = 0
    found: int = 0  # an earlier, unanswered attempt turned out to have been accepted
    retried: int = 0
    rerouted: int = 0
    dead: int = 0
    cancelled: int = 0
    lost_claim: int = 0

    def __str__(self) -> str:
        return ", ".join(f"{f.name} {getattr(self, f.name)}" for f in fields(self))


@dataclass(frozen=True)
class _Claim:
    """One claimed row, read before the claim committed so sending needs no transaction."""

    id: int
    claimed_at: datetime
    msg: Outgoing
    created_at: datetime
    attempts: int
    outcome_unknown: bool
    expires_at: datetime | None


#: What a claimer holds for a row it is to send (the worker sends its replies with it).
Claim = _Claim


def message(
    *,
    key: str,
    purpose: Purpose,
    to: str,
    channel: str,
    body: str,
    content_sid: str | None = None,
    content_variables: dict[str, str] | None = None,
    case_id: int | None = None,
    account_id: int | None = None,
    reporter_id: int | None = None,
    via: str | None = None,
    now: datetime,
) -> dict[str, Any]:
    """Return the outbox row for a message to send, ready for `enqueue_all`."""
    return {
        "idempotency_key": key,
        "purpose": purpose,
        "channel": channel,
        "via": via,
        "to": to,
        "to_hash": lookup_hash(to),
        "body": body,
        "content_sid": content_sid,
        "content_variables": json.dumps(content_variables) if content_variables else None,
        "case_id": case_id,
        "account_id": account_id,
        "reporter_id": reporter_id,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "outcome_unknown": False,
        "next_attempt_at": now,
        "created_at": now,
    }


def message_to(
    account: Account,
    *,
    key: str,
    purpose: Purpose,
    body: str,
    now: datetime,
    case_id: int | None = None,
    channel: str = Channel.SMS,
    content_sid: str | None = None,
    content_variables: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Return the outbox row for a message to a staff member's phone, ready for `enqueue_all`."""
    if account.phone is None:
        raise ValueError(f"account {account.id} has no phone to write to")
    return message(
        key=key,
        purpose=purpose,
        to=account.phone,
        channel=channel,
        body=body,
        content_sid=content_sid,
        content_variables=content_variables,
        case_id=case_id,
        account_id=account.id,
        now=now,
    )


def enqueue_to(session: Session, account: Account, **fields: Any) -> int:
    """Write one message to a staff member's phone (`message_to`'s arguments); return its id."""
    return enqueue_all(session, [message_to(account, **fields)])[0]


def enqueue(session: Session, **fields: Any) -> int:
    """Write one message to send after commit (`message`'s arguments); return its row id."""
    return enqueue_all(session, [message(**fields)])[0]


def enqueue_all(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Write messages (from `message`) in one statement; return their ids in order.

    The unique key decides, not a look first: a key written before, here or by a concurrent
    writer, is skipped by the database (ON CONFLICT DO NOTHING) and costs only that row,
    never the caller's work; its first row's id is returned.
    """
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    # One prebuilt statement, many parameter sets: SQLAlchemy sends them as one multi-row
    # INSERT; statement text built from the rows themselves would be compiled every time.
    ids = dict(session.execute(_INSERT[dialect], rows).all())
    missing = [row["idempotency_key"] for row in rows if row["idempotency_key"] not in ids]
    if missing:
        ids.update(session.execute(_IDS, {"keys": missing}).all())
    return [ids[row["idempotency_key"]] for row in rows]


def _insert_skipping_known_keys(dialect: Any) -> Any:
    table = table_of(Outbox)
    return (
        dialect.insert(table)
        .on_conflict_do_nothing(index_elements=[table.c.idempotency_key])
        .returning(table.c.idempotency_key, table.c.id)
    )


_INSERT = {
    "sqlite": _insert_skipping_known_keys(sqlite),
    "postgresql": _insert_skipping_known_keys(postgresql),
}
_OUTBOX = table_of(Outbox)
_IDS = select(_OUTBOX.c.idempotency_key, _OUTBOX.c.id).where(
    _OUTBOX.c.idempotency_key.in_(bindparam("keys", expanding=True))
)


def drain(now: datetime, provider: Provider, worker: str, limit: int = 100) -> DrainStats:
    """Claim due rows, send each once, and record the outcomes."""
    session = db.scoped()
    claims = _claim(session, now, worker, limit)
    session.commit()
    return send_claimed(claims, provider, worker, now)


def claim_in(session: Session, ids: list[int], worker: str, now: datetime) -> list[_Claim]:
    """Claim rows just written, in the writer's transaction (flushes, never commits).

    For a reply the interpretation worker sends right after its commit: the claim commits
    with the reply, so no drain sends it meanwhile; if the worker dies before sending, the
    claim expires and the drain takes the row, as any row whose sender died.
    """
    return _claim(session, now, worker, len(ids), ids) if ids else []


def enqueue_claimed(
    session: Session, row: dict[str, Any], worker: str, now: datetime
) -> list[_Claim]:
    """Write one message (from `message`) already claimed by `worker`; return its claim.

    For the reply the interpretation worker sends right after its commit: one statement
    writes the row claimed (or skipped, when the reporter opted out: decided by the same
    statement), instead of writing it pending and claiming it back. A key written before
    keeps its row, which is claimed as `claim_in` would (flushes, never commits).
    """
    claimed = {**row, "claimed_by": worker, "claimed_at": now}
    claimed["next_attempt_at"] = now + CLAIM_TIMEOUT
    claimed["number"], claimed["written"] = row["to_hash"], row["created_at"]
    written = session.execute(_INSERT_CLAIMED[session.get_bind().dialect.name], claimed).first()
    if written is None:  # the key was written before: that row, claimed if it is due
        known = session.execute(_IDS, {"keys": [row["idempotency_key"]]}).all()
        return claim_in(session, [id_ for _, id_ in known], worker, now)
    row_id, status = written
    if status == OutboxStatus.SKIPPED:
        session.execute(_UNCLAIM, {"row_id": row_id, "now": now, "due": row["next_attempt_at"]})
        log.info("outbox %s (%s) skipped: the recipient opted out", row_id, row["purpose"])
        return []
    content = row["content_variables"]
    msg = Outgoing(
        to=row["to"],
        channel=row["channel"],
        body=row["body"],
        content_sid=row["content_sid"],
        content_variables=json.loads(content) if content else None,
        key=row["idempotency_key"],
        label=f"outbox {row_id} {Purpose(row['purpose']).value}",
        via=row["via"],
    )
    # A reply or notice; an alert's validity (`_to_claim`) would need its case's priority.
    assert row["purpose"] not in ALERT_PURPOSES, "alerts are claimed by the drain"
    return [_Claim(row_id, now, msg, row["created_at"], 0, False, None)]


_SKIPPED_OR_SENDING = (OutboxStatus.SKIPPED, OutboxStatus.SENDING)


def _insert_claimed(dialect: Any) -> Any:
    table = table_of(Outbox)
    # The opt-out rule of `optout.refused` for a row written now: a reporter of that number
    # who opted out (before now, or at an unknown time) is not written to.
    reporter = table_of(Reporter)
    refused = exists().where(
        reporter.c.phone_hash == bindparam("number"),
        reporter.c.is_opted_out,
        or_(reporter.c.opted_out_at.is_(None), reporter.c.opted_out_at < bindparam("written")),
    )
    skipped, sending = (literal(s, table.c.status.type) for s in _SKIPPED_OR_SENDING)
    status = case((refused, skipped), else_=sending)
    return (
        dialect.insert(table)
        .values(status=status)
        .on_conflict_do_nothing(index_elements=[table.c.idempotency_key])
        .returning(table.c.id, table.c.status)
    )


_INSERT_CLAIMED = {
    "sqlite": _insert_claimed(sqlite),
    "postgresql": _insert_claimed(postgresql),
}
#: A row written claimed whose recipient turned out to have opted out.
_UNCLAIM = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("row_id"))
    .values(claimed_by=None, claimed_at=None, status_at=bindparam("now"))
    .values(next_attempt_at=bindparam("due"))
)


def send_claimed(
    claims: list[_Claim], provider: Provider, worker: str, now: datetime
) -> DrainStats:
    """Send claimed rows, each once, and record the outcomes (a commit each)."""
    session = db.scoped()
    stats = DrainStats(claimed=len(claims))
    for claim in claims:
        result = _attempt(session, claim, provider, now)
        metrics.send_recorded(provider.name, result.outcome.value)
        _record(session, claim, worker, result, now, stats)
    for row in [o for o in session.identity_map.values() if isinstance(o, Outbox)]:
        session.expire(row)  # changed by UPDATE statements; the caller's other rows stand
    return stats


def _claim(
    session: Session, now: datetime, worker: str, limit: int, ids: list[int] | None = None
) -> list[_Claim]:
    """Mark up to `limit` due rows as ours; once committed, no other worker sends them."""
    # A row in "sending" whose claim expired is due again: its next_attempt_at is the
    # claim's expiry. SKIP LOCKED lets PostgreSQL workers take disjoint rows; on SQLite the
    # transaction already holds the one write lock (BEGIN IMMEDIATE).
    query = (
        select(Outbox)
        .where(Outbox.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)))
        .where(Outbox.next_attempt_at <= now)
    )
    if ids is not None:
        query = query.where(Outbox.id.in_(ids))
    rows = due_rows(session, query, Outbox.next_attempt_at, Outbox.id, limit=limit)
    priorities = _priorities(session, rows)
    refused = optout.refused(session, rows)
    claims = []
    for row in rows:
        if row.id in refused:  # the number opted out after this was written
            row.status, row.status_at, row.claimed_by = OutboxStatus.SKIPPED, now, None
            log.info("outbox %s (%s) skipped: the recipient opted out", row.id, row.purpose)
            continue
        if row.status == OutboxStatus.SENDING:
            row.outcome_unknown = True  # the worker that died may have sent it
        row.status, row.claimed_by, row.claimed_at = OutboxStatus.SENDING, worker, now
        row.next_attempt_at = now + CLAIM_TIMEOUT
        claims.append(_to_claim(row, priorities.get(row.case_id or 0), now))
    return claims


def _priorities(session: Session, rows: list[Outbox]) -> dict[int, str]:
    """Return the priority of each case an alert among `rows` is about."""
    ids = {r.case_id for r in rows if r.case_id and r.purpose in ALERT_PURPOSES}
    if not ids:
        return {}
    return dict(session.execute(select(Case.id, Case.priority).where(Case.id.in_(ids))).all())


def _to_claim(row: Outbox, priority: str | None, now: datetime) -> _Claim:
    """Copy what sending needs out of a row."""
    validity = ALERT_VALIDITY.get(priority or "") if row.purpose in ALERT_PURPOSES else None
    expires_at = row.created_at + validity if validity else None
    msg = Outgoing(
        to=row.to,
        channel=row.channel,
        body=row.body,
        content_sid=row.content_sid,
        content_variables=json.loads(row.content_variables) if row.content_variables else None,
        key=row.idempotency_key,
        label=f"outbox {row.id} {row.purpose.value}",
        via=row.via,
    )
    return _Claim(row.id, now, msg, row.created_at, row.attempts, row.outcome_unknown, expires_at)


def _attempt(session: Session, claim: _Claim, provider: Provider, now: datetime) -> SendResult:
    """Send one claimed message, unless an earlier attempt already got it through."""
    if claim.outcome_unknown:
        # The same text may have gone to the same number for another row (a second reply to
        # a joined report, a reminder): its id is that row's, never this one's.
        ids = session.scalars(_IDS_TO_SAME_NUMBER, {"row_id": claim.id})
        others = frozenset(i for i in ids if i is not None)
        try:
            found = provider.find_sent(replace(claim.msg, not_these=others), claim.created_at)
        except ChannelError:
            return SendResult(SendOutcome.UNKNOWN, detail="lookup failed")
        taken = found is not None and _id_taken(session, found, claim.id)
        session.commit()  # end the read transaction before the slow send
        if found and not taken:
            return SendResult(SendOutcome.SENT, found, None, "found")
    facts = message_facts(provider, claim.msg)
    callback = facts.status_callback(current_app.config.get("PUBLIC_BASE_URL"))
    msg = replace(claim.msg, status_callback=callback)
    if claim.expires_at is not None:
        left = int((claim.expires_at - now).total_seconds())
        if left <= 0:
            return SendResult(SendOutcome.FINAL, detail="expired")
        if facts.validity_cap is not None:
            msg = replace(msg, validity_seconds=min(left, facts.validity_cap))
    try:
        return provider.send(msg)
    except Exception as exc:  # a provider bug must not leave the row claimed until timeout
        log.error("outbox %s: provider raised %s", claim.id, type(exc).__name__)
        return SendResult(SendOutcome.UNKNOWN, detail=type(exc).__name__)


_SAME_NUMBER = aliased(Outbox)
_NUMBER_OF_ROW = select(_SAME_NUMBER.to_hash).where(_SAME_NUMBER.id == bindparam("row_id"))
#: Provider ids of the newest rows sent to the number of row `row_id` (other rows).
_IDS_TO_SAME_NUMBER = (
    select(Outbox.provider_message_id)
    .where(
        Outbox.to_hash == _NUMBER_OF_ROW.scalar_subquery(),
        Outbox.id != bindparam("row_id"),
        Outbox.provider_message_id.is_not(None),
    )
    .order_by(Outbox.id.desc())
    .limit(1000)
)


def _id_taken(session: Session, provider_id: str, row_id: int) -> bool:
    """Return whether another row already holds this provider id (same text, same person)."""
    other = session.scalar(
        select(Outbox.id).where(Outbox.provider_message_id == provider_id, Outbox.id != row_id)
    )
    return other is not None


def _record(
    session: Session,
    claim: _Claim,
    worker: str,
    result: SendResult,
    now: datetime,
    stats: DrainStats,
) -> None:
    """Write the outcome of one attempt, if the claim is still ours."""
    if result.outcome == SendOutcome.SENT:
        _record_sent(session, claim, worker, result, now, stats)
        return
    row = session.get(Outbox, claim.id, populate_existing=True)
    if row is None or row.claimed_by != worker or row.claimed_at != claim.claimed_at:
        session.rollback()
        stats.lost_claim += 1  # taken back after a timeout; that worker looks before sending
        return
    row.attempts = claim.attempts + 1
    row.error_code = result.error_code
    row.claimed_by = row.claimed_at = None
    outcome = result.outcome
    if outcome in (SendOutcome.RETRY, SendOutcome.UNKNOWN):
        row.outcome_unknown = row.outcome_unknown or outcome == SendOutcome.UNKNOWN
        _retry_or_bury(session, row, now, stats)
    elif outcome == SendOutcome.NEXT_CHANNEL:
        row.status, row.status_at = OutboxStatus.FAILED, now
        _reroute(session, row, now, result.is_opted_out)
        stats.rerouted += 1
    else:
        _bury(session, row, now, result.detail)
        stats.dead += 1
    session.commit()


def _record_sent(
    session: Session,
    claim: _Claim,
    worker: str,
    result: SendResult,
    now: datetime,
    stats: DrainStats,
) -> None:
    """Record that the provider accepted a claimed row: one UPDATE, if the claim is ours.

    Two messages under one provider id (a mock's fixed sid): the send still counts, but
    status callbacks cannot tell them apart, so the id is not recorded on a second row.
    """
    provider_id = result.provider_message_id
    statement = _SENT_WITH_ID if provider_id else _SENT
    written = session.execute(
        statement,
        {
            "row_id": claim.id,
            "worker": worker,
            "claimed": claim.claimed_at,
            "tries": claim.attempts + 1,
            "code": result.error_code,
            "now": now,
            "provider_id": provider_id,
        },
    ).first()
    if written is None:
        session.rollback()
        stats.lost_claim += 1  # taken back after a timeout; that worker looks before sending
        return
    if provider_id and written[0] is None:
        log.warning("outbox %s: provider id already recorded on another row", claim.id)
    stats.sent += 1
    stats.found += result.detail == "found"
    session.commit()


def _sent(with_id: bool) -> Any:
    other = aliased(table_of(Outbox))
    taken = exists().where(
        other.c.provider_message_id == bindparam("provider_id"),
        other.c.id != bindparam("row_id"),
    )
    provider_id = case((taken, None), else_=bindparam("provider_id")) if with_id else None
    return (
        update(_OUTBOX)
        .where(
            _OUTBOX.c.id == bindparam("row_id"),
            _OUTBOX.c.claimed_by == bindparam("worker"),
            _OUTBOX.c.claimed_at == bindparam("claimed"),
        )
        .values(
            attempts=bindparam("tries"),
            error_code=bindparam("code"),
            claimed_by=None,
            claimed_at=None,
            status=OutboxStatus.SENT,
            sent_at=bindparam("now"),
            status_at=bindparam("now"),
            provider_message_id=provider_id,
            outcome_unknown=False,
        )
        .returning(_OUTBOX.c.provider_message_id)
    )


_SENT_WITH_ID = _sent(with_id=True)
_SENT = _sent(with_id=False)


def _retry_or_bury(session: Session, row: Outbox, now: datetime, stats: DrainStats) -> None:
    """Schedule the next attempt with a growing delay, or dead-letter after the last."""
    retry_at = retry.OUTBOX.next_attempt_at(row.attempts, now)
    if retry_at is None:
        _bury(session, row, now, "attempts exhausted")
        stats.dead += 1
        return
    row.status = OutboxStatus.PENDING
    row.next_attempt_at = retry_at
    stats.retried += 1


def _bury(session: Session, row: Outbox, now: datetime, why: str) -> None:
    """Dead-letter a row, tell the admins, and move an alert on to the next person."""
    row.status, row.status_at = OutboxStatus.DEAD, now
    log.warning("outbox %s (%s) dead: %s", row.id, row.purpose, why)
    if row.purpose in ALERT_PURPOSES:
        _hurry_chain(session, row, now)
    if row.purpose != Purpose.ADMIN:  # an admin message that dies must not beget another
        notify_admins(session, "alert.admin.dead", now, id=row.id, purpose=row.purpose.value)


def _reroute(session: Session, row: Outbox, now: datetime, is_opted_out: bool) -> None:
    """Reach the person another way: WhatsApp falls back to SMS, an alert to the next person."""
    if is_opted_out:
        _opt_out(session, row)
    if row.channel == Channel.WHATSAPP:
        enqueue(
            session,
            key=f"{row.idempotency_key}:sms",
            purpose=row.purpose,
            to=row.to,
            channel=Channel.SMS,
            body=row.body,
            case_id=row.case_id,
            account_id=row.account_id,
            reporter_id=row.reporter_id,
            now=now,
        )
    elif row.purpose in ALERT_PURPOSES:
        _hurry_chain(session, row, now)
    elif row.account_id:
        notify_admins(
            session, "alert.admin.unreachable", now, account=row.account_id, code=row.error_code
        )


def _opt_out(session: Session, row: Outbox) -> None:
    """Record that the reporter a message was for asked the provider to stop messages."""
    reporter = session.get(Reporter, row.reporter_id) if row.reporter_id else None
    if reporter is not None:
        reporter.is_opted_out = True


def _hurry_chain(session: Session, row: Outbox, now: datetime) -> None:
    """Bring the next escalation step of the alert's chain forward to now."""
    account = session.get(Account, row.account_id) if row.account_id else None
    if row.case_id is None or account is None or account.agency_id is None:
        return
    session.execute(
        update(AlertChain)
        .where(AlertChain.case_id == row.case_id, AlertChain.agency_id == account.agency_id)
        .where(AlertChain.next_at > now)
        # The person this alert was for cannot be reached: skip re-alerting them.
        .values(next_at=now, level=case((AlertChain.level < 1, 1), else_=AlertChain.level))
    )


def notify_admins(session: Session, key: str, now: datetime, **params: Any) -> int:
    """Tell admins and coordinators something went wrong, at most once an hour per kind."""
    hour = now.strftime("%Y%m%d%H")
    staff = session.scalars(
        select(Account).where(
            Account.role.in_((Role.ADMIN, Role.COORDINATOR)),
            Account.is_active.is_(True),
            Account.phone.is_not(None),
        )
    ).all()
    body = t(key, **params)
    rows = [
        message_to(a, key=f"admin:{key}:{hour}:{a.id}", purpose=Purpose.ADMIN, body=body, now=now)
        for a in staff
    ]
    enqueue_all(session, rows)
    return len(staff)


def apply_status(session: Session, status: StatusUpdate, now: datetime) -> Outbox | None:
    """Apply a provider's delivery report; statuses only move forward, whatever the order."""
    row = session.scalar(
        select(Outbox).where(Outbox.provider_message_id == status.provider_message_id)
    )
    if row is None:
        return None
    if status.error_code is not None:
        row.error_code = status.error_code
    if status.is_opted_out:
        _opt_out(session, row)
    old = _DELIVERY.get(row.status.value)
    if old is None or not DeliveryStatus.advances(old, status.status):
        return row  # a late or repeated report, or a row no longer in delivery
    row.status, row.status_at = OutboxStatus(status.status.value), now
    if status.status.is_final:
        _reroute(session, row, now, status.is_opted_out)
    session.flush()
    return row
