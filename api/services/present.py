"""Cases as the API shows them, with what people wrote only for those allowed to read it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.scope import Caller, may_read_text
from cases.timeline import details
from models import Agency, Case, CaseAgency, MediaFile, Region, Report, Role

_CASE_FIELDS = (
    "reference",
    "category",
    "victim",
    "priority",
    "region_code",
    "opened_at",
    "ack_due_at",
    "acknowledged_at",
    "closed_at",
    "updated_at",
    "police_report_due_at",
    "police_reported_at",
)


def cases_out(session: Session, cases: list[Case]) -> list[dict[str, Any]]:
    """Shape cases for CaseOut, loading their agencies and places in two queries."""
    ids = [c.id for c in cases]
    links: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    rows = session.execute(
        select(CaseAgency, Agency.code, Agency.name)
        .join(Agency, Agency.id == CaseAgency.agency_id)
        .where(CaseAgency.case_id.in_(ids))
        .order_by(CaseAgency.role, Agency.code)
    ).all()
    for link, code, name in rows:
        links[link.case_id].append(
            {"code": code, "name": name, "role": link.role.value, "is_active": link.is_active}
        )
    codes = {c.region_code for c in cases}
    names = dict(
        session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all()
    )
    return [
        {
            **{f: getattr(c, f) for f in _CASE_FIELDS},
            "status": c.status.value,
            "closure_reason": c.closure_reason.value if c.closure_reason else None,
            "services_given": list(c.services_given or []),
            "region_name": names.get(c.region_code),
            "agencies": links[c.id],
        }
        for c in cases
    ]


def case_detail(session: Session, who: Caller, case: Case) -> dict[str, Any]:
    """Shape a case with its reports and timeline for CaseDetailOut."""
    readable = may_read_text(session, who, case)
    reports: Iterable[Report] = session.scalars(
        select(Report).where(Report.case_id == case.id).order_by(Report.id)
    )
    if who.role == Role.FACILITATOR:
        # A facilitator follows their own reports, not what other people told.
        reports = (r for r in reports if r.facilitator_id == who.account.id)
    return {
        **cases_out(session, [case])[0],
        "reports": [_report(r, readable) for r in reports],
        "timeline": [
            {
                "at": e.at,
                "kind": e.kind,
                "actor": e.actor,
                "detail": details(e) if readable else None,
            }
            for e in case.events
        ],
        "media": _media(session, case) if readable else [],
    }


def _media(session: Session, case: Case) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(MediaFile).where(MediaFile.case_id == case.id).order_by(MediaFile.id)
    )
    return [
        {
            "id": m.id,
            "content_type": m.content_type,
            "status": m.status.value,
            "size": m.size,
            "received_at": m.created_at,
        }
        for m in rows
    ]


def _report(report: Report, readable: bool) -> dict[str, Any]:
    return {
        "source": report.source,
        "category": report.category,
        "victim": report.victim,
        "priority": report.priority,
        "region_code": report.region_code,
        "is_anonymous": report.is_anonymous,
        "captured_at": report.captured_at,
        "received_at": report.received_at,
        "text": report.text if readable else None,
    }
