"""Listings in the audit trail: one line for a list of cases, naming the cases it showed."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from models import Account, AuditEvent


def record_listing(
    session: Session,
    account: Account,
    action: str,
    now: datetime,
    references: list[str],
    filters: dict[str, Any] | None = None,
) -> None:
    """Record that an account was shown these cases by a listing; flush, never commit."""
    detail = {
        "filters": {k: v for k, v in (filters or {}).items() if v is not None},
        "references": references,
    }
    session.add(
        AuditEvent(
            at=now, account_id=account.id, action=action, detail=json.dumps(detail, default=str)
        )
    )
    session.flush()
