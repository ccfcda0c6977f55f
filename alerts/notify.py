"""What cases tell alerts: the hand-off points of case work to the on-call chain.

Cases call these inside their own transaction; they only write rows (outbox, alert chain),
which the scheduler's jobs send after commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from alerts import escalation
from core import deployment
from models import Account, Agency, Case


def case_routed(session: Session, case: Case, agencies: list[Agency], now: datetime) -> None:
    """Start alerting the on-call officers of agencies newly responsible for a case."""
    escalation.start(session, case, agencies, now, deployment.current().tz)


def case_acknowledged(session: Session, case: Case, account: Account | None, now: datetime) -> None:
    """Stop the case's escalation chain and confirm to whoever acknowledged."""
    # One deadline per case (Case.ack_due_at): the first acknowledgement answers it for
    # every agency on the case, so all its chains stop.
    escalation.stop_case(session, case, "acknowledged", now)
    if account is not None:
        escalation.confirm(session, case, account, now, deployment.current().tz)


def agency_acknowledged(session: Session, case: Case, account: Account, now: datetime) -> bool:
    """Stop the chain of the account's agency only, and confirm; False if none was running.

    For an acknowledgement by SMS: a forged sender number must not silence other agencies.
    """
    if account.agency_id is None or not escalation.stop_agency(
        session, case, account.agency_id, "acknowledged", now
    ):
        return False
    escalation.confirm(session, case, account, now, deployment.current().tz)
    return True


def case_closed(session: Session, case: Case, now: datetime) -> None:
    """Stop anything still pending for a closed or rejected case."""
    escalation.stop_case(session, case, "closed", now)
