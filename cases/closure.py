"""Closing a case says why, from a fixed list, and which services the victim was given."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from cases import timeline
from cases.workflow import CLOSED
from models import Account, Case, CaseEventKind, CaseStatus, ClosureReason, Service


class ClosureReasonRequired(ValueError):
    """A case is being closed without saying why."""


def check_closure(status: CaseStatus | str, closure_reason: str | None) -> None:
    """Refuse to close (selesai) without a closure reason from the list."""
    if CaseStatus(status) == CaseStatus.SELESAI and not closure_reason:
        reasons = ", ".join(r.value for r in ClosureReason)
        raise ClosureReasonRequired(f"Closing a case needs a closure reason: one of {reasons}.")


def record_closure(
    session: Session,
    case: Case,
    closure_reason: str | None,
    services: Iterable[str] | None,
    now: datetime,
    actor: Account | None = None,
) -> None:
    """After a status change: keep why a case closed and what was given; a reopen clears it."""
    if case.status not in CLOSED:
        case.closure_reason = None
        return
    if closure_reason is None and services is None:
        return
    if closure_reason is not None:
        case.closure_reason = ClosureReason(closure_reason)
    if services is not None:
        case.services_given = [s.value for s in Service if s.value in set(services)]
    timeline.record(
        session,
        case,
        CaseEventKind.CLOSURE,
        now,
        actor,
        closure_reason=case.closure_reason.value if case.closure_reason else None,
        services_given=list(case.services_given or []),
    )
    session.flush()
