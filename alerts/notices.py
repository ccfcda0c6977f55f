"""Messages to staff about case work beyond the acknowledgement chain: deadlines, tasks,
referrals, clusters. Texts carry references, categories, places and times only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts import outbox
from alerts.rosters import on_call_all
from models import Account, Purpose, Role


def first_on_call(
    session: Session, agency_ids: list[int], now: datetime, tz: ZoneInfo, supervisor: bool = False
) -> list[Account]:
    """Who answers for each agency now (its supervisor when asked), else its first staff."""
    if not agency_ids:
        return []
    rosters = on_call_all(session, agency_ids, now, tz)
    people: list[Account] = []
    for agency_id in agency_ids:
        who = rosters[agency_id]
        person = (who.supervisor or who.first()) if supervisor else who.first()
        if person is None or not person.phone:
            person = session.scalar(
                select(Account)
                .where(Account.agency_id == agency_id, Account.role == Role.STAFF)
                .where(Account.is_active, Account.phone.is_not(None))
                .order_by(Account.id)
            )
        if person is not None:
            people.append(person)
    return people


def coordinators(session: Session) -> list[Account]:
    """The active coordinators with a phone."""
    found = session.scalars(
        select(Account).where(Account.role == Role.COORDINATOR, Account.is_active)
    ).all()
    return [a for a in found if a.phone]


def tell(
    session: Session,
    people: Iterable[Account],
    *,
    key: str,
    body: str,
    purpose: Purpose,
    now: datetime,
    case_id: int | None = None,
) -> list[int]:
    """Write one SMS per person (once per key and person); return who was written to."""
    unique = {p.id: p for p in people if p.phone}
    rows = [
        outbox.message_to(
            account, key=f"{key}:{account.id}", purpose=purpose, body=body, now=now, case_id=case_id
        )
        for account in unique.values()
    ]
    outbox.enqueue_all(session, rows)
    return list(unique)
