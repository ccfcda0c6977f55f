"""What cases tell alerts: the hand-off points of case work to the on-call chain.

Cases call these inside their own transaction; they only write rows (outbox, alert chain),
which the scheduler's jobs send after commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from models import Account, Agency, Case


def case_routed(session: Session, case: Case, agencies: list[Agency], now: datetime) -> None:
    """Start alerting the on-call officers of agencies newly responsible for a case."""


def case_acknowledged(session: Session, case: Case, account: Account | None, now: datetime) -> None:
    """Stop the case's escalation chain and confirm to whoever acknowledged."""


def case_closed(session: Session, case: Case, now: datetime) -> None:
    """Stop anything still pending for a closed or rejected case."""
