"""The staff case list: the caller's scope, the filters asked for, one page."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from api.scope import Caller, inside, visible
from models import Case


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def filtered(who: Caller, filters: dict[str, Any], zone: ZoneInfo) -> Select[Case]:
    """Return the query of the cases the caller may see that match the filters."""
    query = select(Case).where(visible(who))
    for name in ("status", "priority", "category"):
        if filters.get(name):
            query = query.where(getattr(Case, name) == filters[name])
    if filters.get("region"):
        query = query.where(inside(Case.region_code, filters["region"]))
    # Dates are the deployment's local days: what "opened on the 3rd" means to the reader.
    if filters.get("opened_from"):
        query = query.where(Case.opened_at >= _local_midnight(filters["opened_from"], zone))
    if filters.get("opened_to"):
        end = _local_midnight(filters["opened_to"] + timedelta(days=1), zone)
        query = query.where(Case.opened_at < end)
    return query


def page(session: Session, query: Select[Case], number: int, per_page: int) -> dict[str, Any]:
    """Return one page of a case query, newest first, with its place in the whole."""
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    cases = session.scalars(
        query.order_by(Case.opened_at.desc(), Case.id.desc())
        .offset((number - 1) * per_page)
        .limit(per_page)
    ).all()
    more = number * per_page < total
    return {
        "cases": list(cases),
        "page": number,
        "per_page": per_page,
        "total": total,
        "next_page": number + 1 if more else None,
    }
