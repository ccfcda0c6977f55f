"""The UU TPKS art. 41 deadline: sexual violence reported to the police within 3x24 hours.

`Case.police_report_due_at` is set when such a case opens. Staff record that the police were
told (API, or SMS `LAPORPOLISI <ref>`). Until they do, the agencies on the case are reminded
at 48 hours and their supervisors and the coordinators told at 72 hours, each once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alerts import notices
from alerts.messages import category_label, fit, local_time, places
from cases import timeline
from cases.operations import find_case, is_on_case
from cases.workflow import CLOSED
from core.i18n import t
from models import Account, Case, CaseEventKind, DeadlineNotice, Purpose

log = logging.getLogger(__name__)

#: The reminder goes this long before the deadline (48 hours into the 72).
REMIND_BEFORE = timedelta(hours=24)
#: Deadlines further past than this are no longer chased (the job reads only recent ones).
CHASE_FOR = timedelta(days=7)
REMINDER, OVERDUE = "police_48h", "police_72h"


def record_police_report(
    session: Session, case: Case, now: datetime, actor: Account | None, actor_label: str = "staff"
) -> bool:
    """Record that the police have been told; False if it was recorded before."""
    if case.police_reported_at is not None:
        return False
    case.police_reported_at = now
    case.updated_at = now
    timeline.record(session, case, CaseEventKind.POLICE_REPORTED, now, actor, actor_label)
    session.flush()
    return True


def sms_command(
    session: Session, reference: str, sender_hash: str, now: datetime, lang: str = "id"
) -> str:
    """LAPORPOLISI <ref> from staff of an agency on the case; anyone else changes nothing."""
    account = session.scalar(select(Account).where(Account.phone_hash == sender_hash))
    case = find_case(session, reference)
    if account is None or case is None or not is_on_case(session, case, account):
        log.info("police report command refused: sender not on the case")
        return t("case.cmd.neutral", lang)
    record_police_report(session, case, now, account)
    return t("case.police.done", lang, ref=case.reference)


def _due_cases(session: Session, now: datetime) -> list[Case]:
    """Cases whose police deadline is within a day or recently past, still unreported."""
    return list(
        session.scalars(
            select(Case)
            .where(Case.police_report_due_at <= now + REMIND_BEFORE)
            .where(Case.police_report_due_at > now - CHASE_FOR)
            .where(Case.police_reported_at.is_(None), Case.status.not_in(CLOSED))
            .order_by(Case.police_report_due_at)
        )
    )


def check_deadlines(session: Session, now: datetime, tz: ZoneInfo) -> dict[str, int]:
    """Send each due police-deadline reminder and escalation once; return counts by kind."""
    cases = _due_cases(session, now)
    sent = {
        (n.case_id, n.kind)
        for n in session.scalars(
            select(DeadlineNotice).where(DeadlineNotice.case_id.in_([c.id for c in cases]))
        )
    }
    done = {REMINDER: 0, OVERDUE: 0}
    for case in cases:
        due = case.police_report_due_at
        assert due is not None  # selected by it
        kind = OVERDUE if now >= due else REMINDER
        if (case.id, kind) in sent or not _claim(session, case, kind, now):
            continue
        _notify(session, case, kind, now, tz)
        done[kind] += 1
    session.flush()
    return done


def _claim(session: Session, case: Case, kind: str, now: datetime) -> bool:
    """Record that a notice goes; False when one went already (another run got there)."""
    try:
        with session.begin_nested():
            session.add(DeadlineNotice(case_id=case.id, kind=kind, sent_at=now))
    except IntegrityError:
        return False
    return True


def _notify(session: Session, case: Case, kind: str, now: datetime, tz: ZoneInfo) -> None:
    """Tell the agencies' on-call staff (48 h), or supervisors and coordinators (72 h)."""
    agency_ids = sorted(link.agency_id for link in case.agencies if link.is_active)
    overdue = kind == OVERDUE
    people = notices.first_on_call(session, agency_ids, now, tz, supervisor=overdue)
    if overdue:
        people += notices.coordinators(session)
    body = fit(
        "alert.police.overdue" if overdue else "alert.police.reminder",
        places(session, case.region_code),
        ref=case.reference,
        category=category_label(case.category),
        due=local_time(case.police_report_due_at, tz),  # type: ignore[arg-type]  # set with the report
    )
    accounts = notices.tell(
        session,
        people,
        key=f"{kind}:{case.id}",
        body=body,
        purpose=Purpose.NOTICE,
        now=now,
        case_id=case.id,
    )
    timeline.record(
        session,
        case,
        CaseEventKind.POLICE_ESCALATED if overdue else CaseEventKind.POLICE_REMINDED,
        now,
        actor_label="scheduler",
        accounts=accounts,
    )
