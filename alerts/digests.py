"""Digests: non-urgent cases go to each agency's on-call officer at fixed local times."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts import outbox
from alerts.messages import SMS_SEGMENT, STAFF_LANG, category_label, places, sms_units
from alerts.rosters import on_call
from core.i18n import t
from models import Account, Agency, AlertChain, Case, CaseStatus, Purpose, Role

#: Local times the digests go out (WITA in Sulawesi Tengah): start of the working day and
#: after the midday break.
DIGEST_TIMES = (time(7, 30), time(13, 0))
_OPEN = (CaseStatus.BARU,)


def next_digest_at(now: datetime, tz: ZoneInfo) -> datetime:
    """Return the first digest moment after `now`."""
    local = now.astimezone(tz)
    for days in (0, 1):
        day = local.date() + timedelta(days=days)
        for at in DIGEST_TIMES:
            moment = datetime.combine(day, at, tzinfo=tz)
            if moment > local:
                return moment.astimezone(now.tzinfo)
    raise AssertionError("unreachable: a digest time exists every day")


def last_digest_at(now: datetime, tz: ZoneInfo) -> datetime:
    """Return the latest digest moment at or before `now`."""
    local = now.astimezone(tz)
    for days in (0, 1):
        day = local.date() - timedelta(days=days)
        for at in reversed(DIGEST_TIMES):
            moment = datetime.combine(day, at, tzinfo=tz)
            if moment <= local:
                return moment.astimezone(now.tzinfo)
    raise AssertionError("unreachable: a digest time exists every day")


def send_digests(session: Session, now: datetime, tz: ZoneInfo) -> int:
    """Write one digest per agency with cases due in it; return how many were written."""
    # Only chains whose digest is due are read (index on digest_at): the archive is not.
    due = session.execute(
        select(AlertChain, Case)
        .join(Case, Case.id == AlertChain.case_id)
        .where(AlertChain.digest_at <= now)
        .order_by(AlertChain.agency_id, Case.opened_at)
    ).all()
    by_agency: dict[int, list[Case]] = defaultdict(list)
    for chain, case in due:
        chain.digest_at = None
        # An SMS acknowledgement answers for its own agency only (its chain is stopped).
        if case.status in _OPEN and (case.acknowledged_at is None or case.acknowledged_by_sms):
            by_agency[chain.agency_id].append(case)
    slot = last_digest_at(now, tz)
    written = 0
    for agency_id, cases in by_agency.items():
        written += _digest(session, session.get_one(Agency, agency_id), cases, slot, now, tz)
    session.flush()
    return written


def _digest(
    session: Session, agency: Agency, cases: list[Case], slot: datetime, now: datetime, tz: ZoneInfo
) -> int:
    """Write one agency's digest to its on-call officer; return 1, or 0 if nobody has a phone."""
    officer = on_call(session, agency.id, now, tz).first()
    if officer is None or not officer.phone:
        officer = session.scalar(
            select(Account)
            .where(Account.agency_id == agency.id, Account.role == Role.STAFF, Account.is_active)
            .where(Account.phone.is_not(None))
            .order_by(Account.id)
        )
    if officer is None:
        outbox.notify_admins(session, "alert.admin.nobody", now, agency=agency.code, ref="-")
        return 0
    body = digest_text(session, cases, slot, tz)
    key = f"digest:{agency.id}:{slot.isoformat()}"
    outbox.enqueue_to(session, officer, key=key, purpose=Purpose.DIGEST, body=body, now=now)
    return 1


def digest_text(session: Session, cases: list[Case], slot: datetime, tz: ZoneInfo) -> str:
    """Return the digest: a count, then reference, category and place while they fit."""
    when = slot.astimezone(tz).strftime("%H:%M %Z")
    head = t("alert.digest", STAFF_LANG, time=when, count=len(cases))
    # More than one segment's worth never fits, so only the first few are worth formatting.
    items = [
        f"{c.reference} {category_label(c.category)} {places(session, c.region_code)[-1]}"
        for c in cases[:12]
    ]
    text = head
    for shown in range(len(items), 0, -1):
        rest = len(cases) - shown
        tail = " " + t("alert.digest.more", STAFF_LANG, count=rest) if rest else ""
        text = f"{head} {'; '.join(items[:shown])}{tail}"
        if sms_units(text) <= SMS_SEGMENT:
            return text
    return text
