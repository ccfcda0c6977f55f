"""Service referrals: an agency on a case asks another for a service and hears back.

Beside the primary hand-off (`operations.refer`), which moves the case: here the case stays
where it is, the referring agency keeps it, and the receiving agency's staff may read it
while the referral is asked or accepted. Every step is on the timeline.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from alerts import notices
from alerts.messages import category_label, fit, places
from cases import timeline
from models import (
    Account,
    Agency,
    Case,
    CaseEventKind,
    FollowUpTask,
    Purpose,
    ReferralService,
    ReferralStatus,
    ServiceReferral,
)

#: While a referral is in one of these, the receiving agency's staff may read the case.
OPEN = frozenset({ReferralStatus.REQUESTED, ReferralStatus.ACCEPTED})


class ReferralConflict(ValueError):
    """The referral is not in a state that allows this step."""


def open_to(agency_id: int) -> ColumnElement[bool]:
    """The condition on Case: an open referral of it asks this agency for a service."""
    return exists().where(
        ServiceReferral.case_id == Case.id,
        ServiceReferral.to_agency_id == agency_id,
        ServiceReferral.status.in_(OPEN),
    )


def receives(session: Session, case: Case, account: Account) -> bool:
    """Say whether the account's agency is asked, on an open referral, to serve this case."""
    if not account.is_active or account.agency_id is None:
        return False
    found = session.scalar(
        select(ServiceReferral.id).where(
            ServiceReferral.case_id == case.id,
            ServiceReferral.to_agency_id == account.agency_id,
            ServiceReferral.status.in_(OPEN),
        )
    )
    return found is not None


def ask(
    session: Session,
    case: Case,
    from_agency: Agency,
    to_agency: Agency,
    service: str,
    note: str | None,
    actor: Account | None,
    now: datetime,
    tz: ZoneInfo,
) -> ServiceReferral:
    """Ask another agency for a service on a case, and tell its on-call officer."""
    if not to_agency.is_active or to_agency.id == from_agency.id:
        raise ValueError("Ask another, active agency.")
    referral = ServiceReferral(
        case_id=case.id,
        from_agency_id=from_agency.id,
        to_agency_id=to_agency.id,
        service=ReferralService(service),
        status=ReferralStatus.REQUESTED,
        requested_by_account_id=actor.id if actor else None,
        requested_at=now,
        request_note=note or None,
    )
    session.add(referral)
    session.flush()
    _step(
        session, case, referral, CaseEventKind.REFERRAL_REQUESTED, now, actor, reason=note or None
    )
    body = fit(
        "alert.referral.asked",
        places(session, case.region_code),
        ref=case.reference,
        agency=from_agency.code,
        service=referral.service.value.replace("_", " "),
        category=category_label(case.category),
    )
    people = notices.first_on_call(session, [to_agency.id], now, tz)
    notices.tell(
        session,
        people,
        key=f"referral:{referral.id}:asked",
        body=body,
        purpose=Purpose.NOTICE,
        now=now,
        case_id=case.id,
    )
    return referral


def answer(
    session: Session,
    case: Case,
    referral: ServiceReferral,
    accept: bool,
    reason: str | None,
    actor: Account | None,
    now: datetime,
) -> None:
    """The receiving agency accepts, or declines with a reason."""
    if referral.status != ReferralStatus.REQUESTED:
        raise ReferralConflict(f"The referral is {referral.status.value}, not diminta.")
    if not accept and not (reason and reason.strip()):
        raise ValueError("Say why the referral is declined.")
    referral.status = ReferralStatus.ACCEPTED if accept else ReferralStatus.DECLINED
    referral.answered_at, referral.answer_reason = now, reason or None
    referral.answered_by_account_id = actor.id if actor else None
    kind = CaseEventKind.REFERRAL_ACCEPTED if accept else CaseEventKind.REFERRAL_DECLINED
    _step(session, case, referral, kind, now, actor, reason=reason or None)


def record_outcome(
    session: Session,
    case: Case,
    referral: ServiceReferral,
    outcome: str,
    actor: Account | None,
    now: datetime,
) -> None:
    """The receiving agency says what came of an accepted referral; it is then done."""
    if referral.status != ReferralStatus.ACCEPTED:
        raise ReferralConflict(f"The referral is {referral.status.value}, not diterima.")
    if not outcome.strip():
        raise ValueError("Say what came of the referral.")
    referral.status, referral.outcome, referral.outcome_at = ReferralStatus.COMPLETED, outcome, now
    _step(session, case, referral, CaseEventKind.REFERRAL_OUTCOME, now, actor, text=outcome)


def _step(
    session: Session,
    case: Case,
    referral: ServiceReferral,
    kind: CaseEventKind,
    now: datetime,
    actor: Account | None,
    **free_text: str | None,
) -> None:
    codes = dict(
        session.execute(
            select(Agency.id, Agency.code).where(
                Agency.id.in_((referral.from_agency_id, referral.to_agency_id))
            )
        ).all()
    )
    detail: dict[str, Any] = {
        "referral": referral.id,
        "service": referral.service.value,
        "from_agency": codes[referral.from_agency_id],
        "to_agency": codes[referral.to_agency_id],
    }
    detail.update({k: v for k, v in free_text.items() if v})
    timeline.record(session, case, kind, now, actor, "staff", **detail)
    case.updated_at = now
    session.flush()


def shaped(session: Session, referral: ServiceReferral, readable: bool) -> dict[str, Any]:
    """A referral as the API shows it; what people wrote only to those who may read it."""
    codes = dict(
        session.execute(
            select(Agency.id, Agency.code).where(
                Agency.id.in_((referral.from_agency_id, referral.to_agency_id))
            )
        ).all()
    )
    return {
        "id": referral.id,
        "service": referral.service.value,
        "status": referral.status.value,
        "from_agency": codes[referral.from_agency_id],
        "to_agency": codes[referral.to_agency_id],
        "requested_at": referral.requested_at,
        "answered_at": referral.answered_at,
        "outcome_at": referral.outcome_at,
        "note": referral.request_note if readable else None,
        "answer_reason": referral.answer_reason if readable else None,
        "outcome": referral.outcome if readable else None,
    }


def erase_free_text(session: Session, case: Case) -> int:
    """Blank what people wrote in a case's referrals and tasks (erasure); return rows changed."""
    changed = 0
    for referral in session.scalars(
        select(ServiceReferral).where(ServiceReferral.case_id == case.id)
    ):
        for attr in ("request_note", "answer_reason", "outcome"):
            if getattr(referral, attr) not in (None, timeline.REDACTED):
                setattr(referral, attr, timeline.REDACTED)
                changed += 1
    for task in session.scalars(select(FollowUpTask).where(FollowUpTask.case_id == case.id)):
        if task.title != timeline.REDACTED:
            task.title = timeline.REDACTED
            changed += 1
    return changed
