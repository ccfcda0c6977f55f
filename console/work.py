"""Case work only the console does: close with a reason, SIMFONI fields, cases filed by staff.

Services flush and never commit, like cases/; the view that calls them commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from cases import Deployment, ReportIn, change_status, file_report, timeline
from cases.closure import record_closure
from models import (
    Account,
    AgeGroup,
    Case,
    CaseEventKind,
    CaseStatus,
    ClosureReason,
    IncidentPlace,
    Relationship,
    Service,
    Sex,
    ViolenceForm,
)

#: How a case reached staff directly (Report.source).
STAFF_SOURCES = ("walk_in", "telepon", "sapa129")
#: SIMFONI-PPA fields of a case and the vocabulary of each (None: a yes/no or a date).
SIMFONI_FIELDS: dict[str, type | None] = {
    "incident_on": None,
    "incident_place": IncidentPlace,
    "violence_form": ViolenceForm,
    "victim_age_group": AgeGroup,
    "victim_sex": Sex,
    "victim_has_disability": None,
    "perpetrator_sex": Sex,
    "perpetrator_age_group": AgeGroup,
    "perpetrator_relationship": Relationship,
}


def close(
    session: Session,
    case: Case,
    reason: ClosureReason,
    services: list[Service],
    now: datetime,
    actor: Account,
    note: str | None = None,
) -> None:
    """Close a case as selesai with a reason from the fixed list and the services given."""
    change_status(session, case, CaseStatus.SELESAI, now, actor, note or reason.value, "staff")
    record_closure(session, case, reason.value, [s.value for s in services], now, actor)


def parse_simfoni(form: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Read the SIMFONI fields of a form; return the values and the names of bad fields."""
    values: dict[str, Any] = {}
    bad: list[str] = []
    for name, vocab in SIMFONI_FIELDS.items():
        raw = (form.get(name) or "").strip()
        try:
            if not raw:
                values[name] = None
            elif name == "incident_on":
                values[name] = date.fromisoformat(raw)
            elif vocab is None:
                values[name] = {"ya": True, "tidak": False}[raw]
            else:
                values[name] = vocab(raw)
        except (ValueError, KeyError):
            bad.append(name)
    return values, bad


def set_simfoni(
    session: Session, case: Case, values: dict[str, Any], now: datetime, actor: Account
) -> bool:
    """Store SIMFONI fields on a case; record what changed; return whether anything did."""
    changed = {}
    for name, value in values.items():
        if getattr(case, name) != value:
            setattr(case, name, value)
            changed[name] = None if value is None else str(value)
    if changed:
        case.updated_at = now
        timeline.record(session, case, CaseEventKind.SIMFONI, now, actor, fields=changed)
        session.flush()
    return bool(changed)


@dataclass(frozen=True)
class StaffReport:
    """What staff write down when someone comes in, calls, or SAPA 129 refers a case."""

    source: str
    text: str
    category: str
    victim: str
    priority: str
    region_code: str | None
    is_anonymous: bool
    may_contact: bool | None


def file_for_staff(
    session: Session, item: StaffReport, actor: Account, now: datetime, deployment: Deployment
) -> Case:
    """File a report staff took down, through the same filing and routing as every report."""
    if item.source not in STAFF_SOURCES:
        raise ValueError(f"source {item.source!r} is not one of {', '.join(STAFF_SOURCES)}")
    filed = file_report(
        session,
        ReportIn(
            source=item.source,
            text=item.text,
            category=item.category,
            victim=item.victim,
            priority=item.priority,
            region_code=item.region_code,
            is_anonymous=item.is_anonymous,
            may_contact=item.may_contact,
        ),
        now,
        deployment,
    )
    timeline.record(
        session,
        filed.case,
        CaseEventKind.FILED_BY_STAFF,
        now,
        actor,
        source=item.source,
        report_id=filed.report.id,
    )
    session.flush()
    return filed.case


def record_police_report(session: Session, case: Case, now: datetime, actor: Account) -> bool:
    """Record that the case was reported to the police (UU TPKS art. 41); False if it was."""
    if case.police_reported_at is not None:
        return False
    case.police_reported_at = now
    case.updated_at = now
    timeline.record(session, case, CaseEventKind.POLICE_REPORTED, now, actor)
    session.flush()
    return True
