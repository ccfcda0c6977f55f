"""Escalation: alert the on-call officer, again at the deadline, then backup and supervisor.

Each (case, agency) has one AlertChain row. Its `next_at` is when escalation next looks at
it; the escalation job reads only chains whose `next_at` is due, by index, so its cost
follows the open cases, not the archive. Stopping a chain sets `next_at` to NULL.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from alerts import outbox
from alerts.digests import next_digest_at
from alerts.messages import STAFF_LANG, alert_text, template_variables
from alerts.rosters import OnCall, on_call_all
from channels import alert_template
from core.db import due_rows, table_of
from core.i18n import t
from models import (
    Account,
    Agency,
    AlertChain,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseStatus,
    Channel,
    Outbox,
    OutboxStatus,
    Priority,
    Purpose,
    Role,
)

#: Time between escalation steps after the deadline, by priority (step n waits n times
#: this, up to four times).
STEP: dict[str, timedelta] = {
    Priority.DARURAT: timedelta(minutes=10),
    Priority.TINGGI: timedelta(minutes=30),
    Priority.BIASA: timedelta(hours=4),
}
#: Priorities alerted at once; the others wait for a digest.
URGENT = frozenset({Priority.DARURAT, Priority.TINGGI})
#: After this many steps without acknowledgement the chain stops and admins are told.
MAX_LEVEL = 8
CLOSED = frozenset({CaseStatus.SELESAI, CaseStatus.DITOLAK})
#: Chains handled per escalation run; the rest wait a minute for the next run.
BATCH = 500
#: References a merged alert lists; more are counted.
MERGED_REFS = 6
#: Level to (catalogue key, outbox purpose).
_TEXTS = {0: ("alert.new", Purpose.ALERT), 1: ("alert.reminder", Purpose.REMINDER)}


@dataclass
class EscalationStats:
    """What one escalation run did."""

    escalated: int = 0
    stopped: int = 0
    messages: int = 0

    def __str__(self) -> str:
        return f"escalated {self.escalated}, stopped {self.stopped}, messages {self.messages}"


def step_after(priority: str, level: int) -> timedelta:
    """Return how long a chain at `level` waits for acknowledgement before the next step."""
    return STEP.get(priority, STEP[Priority.BIASA]) * min(max(level, 1), 4)


_CHAINS = select(AlertChain).where(
    AlertChain.case_id == bindparam("case_id"),
    AlertChain.agency_id.in_(bindparam("agency_ids", expanding=True)),
)


def start(
    session: Session, case: Case, agencies: list[Agency], now: datetime, tz: ZoneInfo
) -> None:
    """Open a case's chains at agencies, alerting each one's on-call officer if it is urgent."""
    chains = {
        chain.agency_id: chain
        for chain in session.scalars(
            _CHAINS, {"case_id": case.id, "agency_ids": [a.id for a in agencies]}
        )
    }
    due = case.ack_due_at if case.ack_due_at > now else now + step_after(case.priority, 1)
    urgent = case.priority in URGENT
    alerted = []
    new_chains: list[dict[str, Any]] = []
    for agency in agencies:
        chain = chains.get(agency.id)
        if chain is None:
            # A new chain is written with the others in one statement; nothing reads it back.
            digest_at = None if urgent else next_digest_at(now, tz)
            new_chains.append(
                {"case_id": case.id, "agency_id": agency.id, "level": 0, "next_at": due}
                | {"digest_at": digest_at, "started_at": now, "stopped_at": None}
                | {"stop_reason": None}
            )
            if urgent:
                alerted.append(agency)
            continue
        if chain.stopped_at is None:
            if not urgent or chain.digest_at is None:
                continue  # routed twice: one chain, one alert
            # A waiting (digest) case became urgent: it leaves the digest and alerts now.
            chain.digest_at = None
        else:
            chain.level, chain.stopped_at, chain.stop_reason = 0, None, None
        chain.next_at = min(chain.next_at, due) if chain.next_at else due
        if urgent:
            alerted.append(agency)
        else:
            chain.digest_at = next_digest_at(now, tz)
    if new_chains:
        session.connection().execute(_NEW_CHAINS, new_chains)
    if alerted:
        rosters = on_call_all(session, [a.id for a in alerted], now, tz)
        people = {agency: [rosters[agency.id].first()] for agency in alerted}
        sent_to = alert_people(session, case, people, 0, now, tz)
        # The alerts' timeline events, one statement for all the agencies.
        events = [_event_row(case, agency, 0, sent, now) for agency, sent in sent_to.items()]
        if events:
            session.connection().execute(_NEW_EVENTS, events)


def escalate(session: Session, now: datetime, tz: ZoneInfo, limit: int = BATCH) -> EscalationStats:
    """Take every due chain one step further, or stop it if its case was acknowledged."""
    due = select(AlertChain).where(AlertChain.next_at <= now)
    chains = due_rows(session, due, AlertChain.next_at, AlertChain.id, limit=limit)
    if not chains:
        return EscalationStats()
    cases = {
        c.id: c
        for c in session.scalars(select(Case).where(Case.id.in_({ch.case_id for ch in chains})))
    }
    agencies = {
        a.id: a
        for a in session.scalars(
            select(Agency).where(Agency.id.in_({ch.agency_id for ch in chains}))
        )
    }
    rosters = on_call_all(session, list(agencies), now, tz)  # every agency at once
    stats = EscalationStats()
    for chain in chains:
        case = cases[chain.case_id]
        # An acknowledgement by SMS stopped its own agency's chain only (stop_agency).
        answered = case.acknowledged_at is not None and not case.acknowledged_by_sms
        if answered or case.status in CLOSED:
            stop(chain, "closed" if case.status in CLOSED else "acknowledged", now)
            stats.stopped += 1
            continue
        stats.messages += _step(
            session, chain, case, agencies[chain.agency_id], rosters[chain.agency_id], now, tz
        )
        stats.escalated += 1
    session.flush()
    return stats


def _step(
    session: Session,
    chain: AlertChain,
    case: Case,
    agency: Agency,
    who: OnCall,
    now: datetime,
    tz: ZoneInfo,
) -> int:
    """Send the next level's alerts for one chain; return how many messages were written."""
    level = chain.level + 1
    if level > MAX_LEVEL:
        stop(chain, "exhausted", now)
        outbox.notify_admins(
            session, "alert.admin.exhausted", now, ref=case.reference, level=MAX_LEVEL
        )
        return 0
    if level == 1:
        people = [who.first()]
    elif level == 2:
        people = [who.backup, who.supervisor] if (who.backup or who.supervisor) else [who.first()]
    else:
        people = [who.primary, who.backup, who.supervisor]
        if level == 3:
            people += _coordinators(session)
    chain.level, chain.next_at = level, now + step_after(case.priority, level)
    sent = alert_people(session, case, {agency: people}, level, now, tz)[agency]
    _event(session, case, agency, level, sent, now)
    return len(sent)


def alert_people(
    session: Session,
    case: Case,
    people: dict[Agency, list[Account | None]],
    level: int,
    now: datetime,
    tz: ZoneInfo,
) -> dict[Agency, list[int]]:
    """Write one alert per person and agency in one statement; return who, by agency.

    An agency with nobody rostered alerts its staff; with no staff either, admins are told.
    """
    key, purpose = _TEXTS.get(level, ("alert.escalation", Purpose.ESCALATION))
    body = alert_text(session, case, key, tz, level)
    template = alert_template(current_app.config)
    variables = template_variables(session, case, tz) if template else None
    rows, sent = [], {}
    for agency, wanted in people.items():
        unique = {p.id: p for p in wanted if p is not None and p.phone}
        if not unique:
            unique = {p.id: p for p in _agency_staff(session, agency)}
        if not unique:
            outbox.notify_admins(
                session, "alert.admin.nobody", now, agency=agency.code, ref=case.reference
            )
        sent[agency] = list(unique)
        rows += [
            outbox.message_to(
                account,
                key=f"alert:{case.id}:{agency.id}:{level}:{account.id}",
                purpose=purpose,
                body=body,
                now=now,
                case_id=case.id,
                channel=Channel.WHATSAPP if template else Channel.SMS,
                content_sid=template,
                content_variables=variables,
            )
            for account in unique.values()
        ]
    held = _held.get()
    if held is not None and level == 0:
        held += [_HeldAlert(row, case.reference, case.priority) for row in rows]
    else:
        outbox.enqueue_all(session, rows)
    return sent


@dataclass(frozen=True)
class _HeldAlert:
    """A first alert held back while a burst of reports is filed."""

    row: dict[str, Any]
    reference: str
    priority: str


#: First alerts held while one burst (a sync batch) files its reports; None: write at once.
_held: ContextVar[list[_HeldAlert] | None] = ContextVar("held_alerts", default=None)


@contextmanager
def merged_alerts(session: Session, now: datetime) -> Iterator[None]:
    """Hold the first alerts of cases opened in this block, then write one per officer.

    A burst of reports from one source (a sync batch) would otherwise page the same officer
    once per case; each officer gets one message listing the references instead. Each case
    still escalates on its own if nobody acknowledges it.
    """
    held: list[_HeldAlert] = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
    _write_held(session, held, now)


def held_mark() -> int:
    """Return how many alerts are held now, to forget those of work rolled back later."""
    held = _held.get()
    return len(held) if held is not None else 0


def forget_held_since(mark: int) -> None:
    """Drop the alerts held after `mark`: the work that wrote them was rolled back."""
    held = _held.get()
    if held is not None:
        del held[mark:]


def _write_held(session: Session, held: list[_HeldAlert], now: datetime) -> None:
    """Write held alerts: as they are to an officer with one, merged to one with several."""
    by_account: dict[int, list[_HeldAlert]] = {}
    for alert in held:
        by_account.setdefault(alert.row["account_id"], []).append(alert)
    rows = []
    for alerts in by_account.values():
        if len(alerts) == 1:
            rows.append(alerts[0].row)
            continue
        refs = [a.reference for a in alerts]
        shown = refs[:MERGED_REFS]
        body = t(
            "alert.merged",
            STAFF_LANG,
            count=len(refs),
            darurat=sum(a.priority == Priority.DARURAT for a in alerts),
            refs=" ".join(shown),
            more=f" +{len(refs) - len(shown)}" if len(refs) > len(shown) else "",
        )
        keys = ",".join(sorted(a.row["idempotency_key"] for a in alerts))
        merged = dict(alerts[0].row)
        merged.update(
            idempotency_key="alert-merged:" + hashlib.sha256(keys.encode()).hexdigest()[:40],
            body=body,
            channel=Channel.SMS,
            content_sid=None,
            content_variables=None,
            # About several cases: acknowledging one of them must not cancel it.
            case_id=None,
        )
        rows.append(merged)
    outbox.enqueue_all(session, rows)


def _agency_staff(session: Session, agency: Agency) -> list[Account]:
    """Return the agency's active staff with a phone: who is told when nobody is rostered."""
    staff = session.scalars(
        select(Account)
        .where(Account.agency_id == agency.id, Account.role == Role.STAFF, Account.is_active)
        .order_by(Account.id)
        .limit(5)
    ).all()
    return [a for a in staff if a.phone]


def _coordinators(session: Session) -> list[Account | None]:
    """Return the active coordinators: they hear of a case nobody has acknowledged for long."""
    return list(
        session.scalars(select(Account).where(Account.role == Role.COORDINATOR, Account.is_active))
    )


_NEW_CHAINS = insert(table_of(AlertChain))
_NEW_EVENTS = insert(table_of(CaseEvent))


def _event_row(
    case: Case, agency: Agency, level: int, accounts: list[int], now: datetime
) -> dict[str, Any]:
    """The timeline event of an alert, as a row."""
    detail = {"agency": agency.code, "level": level, "accounts": accounts}
    return {
        "case_id": case.id,
        "at": now,
        "kind": CaseEventKind.ALERTED if level == 0 else CaseEventKind.ESCALATED,
        "actor_account_id": None,
        "actor": "scheduler",
        "detail": json.dumps(detail),
    }


def _event(
    session: Session, case: Case, agency: Agency, level: int, accounts: list[int], now: datetime
) -> None:
    """Add the alert to the case's timeline."""
    session.add(CaseEvent(**_event_row(case, agency, level, accounts, now)))


def stop(chain: AlertChain, reason: str, now: datetime) -> None:
    """Stop a chain: it is never looked at again."""
    chain.next_at = chain.digest_at = None
    chain.stopped_at, chain.stop_reason = now, reason


def stop_case(session: Session, case: Case, reason: str, now: datetime) -> int:
    """Stop every chain of a case and cancel its alerts not yet sent; return chains stopped."""
    stopped = 0
    for chain in session.scalars(
        select(AlertChain).where(AlertChain.case_id == case.id, AlertChain.stopped_at.is_(None))
    ):
        stop(chain, reason, now)
        stopped += 1
    session.execute(
        update(Outbox)
        .where(Outbox.case_id == case.id, Outbox.status == OutboxStatus.PENDING)
        .where(Outbox.purpose.in_(outbox.ALERT_PURPOSES))
        .values(status=OutboxStatus.CANCELLED, status_at=now)
    )
    session.flush()
    return stopped


def stop_agency(session: Session, case: Case, agency_id: int, reason: str, now: datetime) -> bool:
    """Stop one agency's chain of a case and cancel its unsent alerts; False if none ran."""
    chain = session.scalar(
        select(AlertChain).where(
            AlertChain.case_id == case.id,
            AlertChain.agency_id == agency_id,
            AlertChain.stopped_at.is_(None),
        )
    )
    if chain is None:
        return False
    stop(chain, reason, now)
    staff = select(Account.id).where(Account.agency_id == agency_id)
    session.execute(
        update(Outbox)
        .where(Outbox.case_id == case.id, Outbox.status == OutboxStatus.PENDING)
        .where(Outbox.purpose.in_(outbox.ALERT_PURPOSES), Outbox.account_id.in_(staff))
        .values(status=OutboxStatus.CANCELLED, status_at=now)
    )
    session.flush()
    return True


def confirm(session: Session, case: Case, account: Account, now: datetime, tz: ZoneInfo) -> None:
    """Tell the officer who acknowledged that it was recorded."""
    if not account.phone:
        return
    at = now.astimezone(tz).strftime("%H:%M %Z")
    body = t("alert.confirmed", STAFF_LANG, ref=case.reference, time=at)
    key = f"confirm:{case.id}:{account.id}"
    outbox.enqueue_to(
        session, account, key=key, purpose=Purpose.CONFIRMATION, body=body, now=now, case_id=case.id
    )
