"""Case work as services: file a report, acknowledge, change status, refer, note, read, split.

Every function here flushes and never commits: the request or job that called it owns the
transaction, and alerts only write rows that are sent after that commit.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alerts import notify
from cases import references, simfoni, timeline, workflow
from cases.deadlines import ack_due, police_report_due
from cases.routing import CATEGORIES, PRIORITIES, VICTIMS, needs_police, route
from cases.workflow import AWAITING_ACK, CLOSED
from core.deployment import Deployment
from core.gazetteer import region_row
from models import (
    Account,
    Agency,
    AgencyKind,
    AgencyRole,
    Case,
    CaseAgency,
    CaseEventKind,
    CaseStatus,
    Priority,
    Report,
    Role,
)

log = logging.getLogger(__name__)

#: The same reporter writing again about the same kind of harm: the same incident.
SAME_REPORTER_WINDOW = timedelta(days=1)
#: Another person in the same village reporting the same kind of harm: the same incident.
SAME_VILLAGE_WINDOW = timedelta(hours=6)
#: Lower is more urgent.


@dataclass(frozen=True)
class ReportIn:
    """A triaged report, as intake or the facilitator API hands it over."""

    source: str  # "sms", "whatsapp" or "app"
    text: str
    category: str
    victim: str
    priority: str
    region_code: str | None = None
    reporter_id: int | None = None
    facilitator_id: int | None = None
    inbound_message_id: int | None = None
    client_uuid: str | None = None
    captured_at: datetime | None = None
    is_anonymous: bool = False
    may_contact: bool | None = None
    #: Why triage read the text as it did (`intake.triage.Triage.reasons`), kept for staff.
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class FiledReport:
    """What filing did: the report, its case, whether it joined one, whether it is new.

    `reference` is what to tell whoever filed it: the case's own for the one who opened
    it, else the report's own (see `Report.reference`).
    """

    report: Report
    case: Case
    joined: bool
    is_new: bool
    reference: str


DEFAULT_DEPLOYMENT = Deployment()


class NotOnCase(PermissionError):
    """The account is not active staff of an agency active on the case."""


class ReferralRefused(PermissionError):
    """A referral that may not happen; `code` says why (not_primary_agency, already_primary)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


#: Roles that may hand any case on, whichever agencies are on it.
_REFER_ANY = frozenset({Role.COORDINATOR, Role.ADMIN})


# --- filing -------------------------------------------------------------------------------


def file_report(
    session: Session, item: ReportIn, now: datetime, deployment: Deployment = DEFAULT_DEPLOYMENT
) -> FiledReport:
    """Store a triaged report and open a case for it, or join it to its incident's case."""
    _check_vocabulary(item.category, item.victim, item.priority)
    earlier = _already_filed(session, item)
    if earlier is not None and earlier.case is not None:
        return FiledReport(
            earlier,
            earlier.case,
            joined=_was_joined(session, earlier),
            is_new=False,
            reference=told_reference(session, earlier),
        )
    region = _case_region(session, item, deployment)
    case = _incident_case(session, item, region, now)
    report = _new_report(session, item, now)
    if case is None:
        case = _open_case(session, report, region, now, deployment)
        with timeline.together(session):  # a new case's events: one INSERT
            _opened(session, case, report, now)
            _route_case(session, case, now)
        return FiledReport(report, case, joined=False, is_new=True, reference=case.reference)
    reference = _join(session, case, report, now, deployment)
    return FiledReport(report, case, joined=True, is_new=True, reference=reference)


def _check_vocabulary(category: str, victim: str, priority: str) -> None:
    """Refuse values triage never gives, before anything is written."""
    for value, allowed in ((category, CATEGORIES), (victim, VICTIMS), (priority, PRIORITIES)):
        if value not in allowed:
            raise ValueError(f"'{value}' is not one of {', '.join(allowed)}")


def _already_filed(session: Session, item: ReportIn) -> Report | None:
    """Find the report a resent sync or a retried message already made."""
    if item.client_uuid:
        found = session.scalar(select(Report).where(Report.client_uuid == item.client_uuid))
        if found is not None:
            return found
    if item.inbound_message_id is not None:
        return session.scalar(_FILED_FROM, {"inbound_message_id": item.inbound_message_id})
    return None


def _was_joined(session: Session, report: Report) -> bool:
    """Say whether a report joined a case some other report opened."""
    first = session.scalar(select(func.min(Report.id)).where(Report.case_id == report.case_id))
    return first != report.id


def _known_region(session: Session, code: str | None) -> str | None:
    return code if code and region_row(session, code) is not None else None


def _case_region(session: Session, item: ReportIn, deployment: Deployment) -> str:
    """The report's place, else its facilitator's, else the deployment's first province."""
    if region := _known_region(session, item.region_code):
        return region
    if item.facilitator_id is not None:
        facilitator = session.get(Account, item.facilitator_id)
        if region := _known_region(session, facilitator.region_code if facilitator else None):
            return region
    return deployment.fallback_region


def _incident_case(session: Session, item: ReportIn, region: str, now: datetime) -> Case | None:
    """Find the open case of the same incident, if this report is about one."""
    if item.reporter_id is not None:
        case = session.scalar(
            _SAME_REPORTER,
            {
                "category": item.category,
                "reporter_id": item.reporter_id,
                "since": now - SAME_REPORTER_WINDOW,
            },
        )
        if case is not None:
            return case
    # Only a village is small enough for "same place" to mean "same incident".
    if region.count(".") != 3:
        return None
    return session.scalar(
        _SAME_VILLAGE,
        {"category": item.category, "region": region, "since": now - SAME_VILLAGE_WINDOW},
    )


def _same_incident(*where: ColumnElement[bool]) -> Select[Case]:
    """An open case of a category with a report matching `where`, the latest first."""
    return (
        select(Case)
        .join(Report, Report.case_id == Case.id)
        .where(Case.status.not_in(CLOSED), Case.category == bindparam("category"))
        .where(Report.received_at >= bindparam("since"), *where)
        .order_by(Report.received_at.desc(), Case.id.desc())
        .limit(1)
    )


# The reads of every report filed, built once.
_FILED_FROM = (
    select(Report).where(Report.inbound_message_id == bindparam("inbound_message_id")).limit(1)
)
_SAME_REPORTER = _same_incident(Report.reporter_id == bindparam("reporter_id"))
_SAME_VILLAGE = _same_incident(Case.region_code == bindparam("region"))


def _new_report(session: Session, item: ReportIn, now: datetime) -> Report:
    """Add the report as told; the case may know its place better (facilitator, province)."""
    report = Report(
        source=item.source,
        text=item.text,
        triage_reasons=json.dumps(list(item.reasons)) if item.reasons else None,
        category=str(item.category),
        victim=str(item.victim),
        priority=str(item.priority),
        region_code=_known_region(session, item.region_code),
        reporter_id=item.reporter_id,
        facilitator_id=item.facilitator_id,
        inbound_message_id=item.inbound_message_id,
        client_uuid=item.client_uuid,
        captured_at=item.captured_at,
        is_anonymous=item.is_anonymous,
        may_contact=item.may_contact,
        received_at=now,
    )
    session.add(report)
    return report


def _reporting_actor(session: Session, report: Report) -> tuple[Account | None, str]:
    """Who filed a report, for the timeline: the facilitator's account, or the reporter."""
    if report.facilitator_id is not None:
        return session.get(Account, report.facilitator_id), "facilitator"
    return None, "reporter" if report.reporter_id is not None else "system"


def _open_case(
    session: Session, report: Report, region: str, now: datetime, deployment: Deployment
) -> Case:
    """Open a new case from a report, with its reference and deadlines."""
    case = Case(
        agencies=[],  # new: known empty, so routing does not read them back
        status=CaseStatus.BARU,
        category=report.category,
        victim=report.victim,
        priority=report.priority,
        region_code=region,
        opened_at=now,
        ack_due_at=ack_due(report.priority, now, deployment.zone),
        police_report_due_at=police_report_due(report.category, now),
        updated_at=now,
    )
    simfoni.apply_prefill(case)
    _insert_with_reference(session, case)
    report.case = case
    session.flush()
    return case


def _insert_with_reference(session: Session, case: Case) -> None:
    """Insert a case under a fresh reference, drawing again when the unique index says taken."""
    # Everything else goes in first, so a rolled-back savepoint can only take the case with it.
    session.flush()

    def taken(reference: str) -> bool:
        if _is_report_reference(session, reference):
            return True
        case.reference = reference
        try:
            with session.begin_nested():
                session.add(case)
        except IntegrityError:
            if session.scalar(select(Case.id).where(Case.reference == reference)) is None:
                raise  # some other constraint: not ours to retry
            return True
        return False

    references.unique_reference(taken)


def _opened(session: Session, case: Case, report: Report, now: datetime) -> None:
    actor, label = _reporting_actor(session, report)
    timeline.record(session, case, CaseEventKind.OPENED, now, actor, label, report_id=report.id)


def _route_case(session: Session, case: Case, now: datetime) -> list[Agency]:
    """Put the agencies the rules name on a case and tell alerts; return those newly added."""
    routed = route(session, case.category, case.victim, case.priority, case.region_code)
    on_case = {link.agency_id: link for link in case.agencies}
    added: list[Agency] = []
    for agency, role in routed:
        link = on_case.get(agency.id)
        if link is None:
            case.agencies.append(CaseAgency(agency_id=agency.id, role=role, added_at=now))
            added.append(agency)
        elif not link.is_active:
            # An agency the case was referred away from stays away; rules do not undo people.
            continue
        elif role == AgencyRole.PRIMARY and link.role != role:
            link.role = role
    if not routed and not case.agencies:
        log.warning("case %s: no active agency to route to", case.id)
        timeline.record(session, case, CaseEventKind.UNROUTED, now)
    if added:
        roles = {a.code: r.value for a, r in routed}
        timeline.record(
            session,
            case,
            CaseEventKind.ROUTED,
            now,
            agencies={a.code: roles[a.code] for a in added},
        )
    session.flush()
    timeline.write_pending(session)  # the case's events come before its alerts'
    if added:
        notify.case_routed(session, case, added, now)
    return added


def _join(
    session: Session, case: Case, report: Report, now: datetime, deployment: Deployment
) -> str:
    """Join a report to its incident's case; return the reference to tell its reporter.

    A more urgent report makes the case more urgent.
    """
    report.case = case
    session.flush()
    known = _reporters_reference(session, case, report)
    if known is None and report.reporter_id is not None:
        _give_own_reference(session, report)
    actor, label = _reporting_actor(session, report)
    detail = {"reference": report.reference} if report.reference else {}
    timeline.record(
        session, case, CaseEventKind.REPORT_JOINED, now, actor, label, report_id=report.id, **detail
    )
    if Priority(report.priority).outranks(case.priority):
        _raise_priority(session, case, report.priority, now, deployment)
    return known or report.reference or case.reference


# --- references told to reporters -----------------------------------------------------------


def told_reference(session: Session, report: Report) -> str:
    """The reference whoever filed a report was given for it."""
    if report.reference:
        return report.reference
    case = report.case
    if case is None:
        raise ValueError("the report is in no case")
    return _reporters_reference(session, case, report) or case.reference


def _reporters_reference(session: Session, case: Case, report: Report) -> str | None:
    """The reference a report's filer already has for its case, or None if they have none.

    The same reporter (or facilitator) filing again about a case knows it by what they were
    told the first time: their earlier report's own reference, else the case's.
    """
    if report.reporter_id is not None:
        same = Report.reporter_id == report.reporter_id
    elif report.facilitator_id is not None:
        same = Report.facilitator_id == report.facilitator_id
    else:
        return None
    earlier = session.execute(
        select(Report.id, Report.reference)
        .where(Report.case_id == case.id, same, Report.id != report.id)
        .order_by(Report.reference.is_(None), Report.id)
        .limit(1)
    ).first()
    if earlier is None:
        return None
    return earlier.reference or case.reference


def _is_report_reference(session: Session, reference: str) -> bool:
    return session.scalar(select(Report.id).where(Report.reference == reference)) is not None


def _give_own_reference(session: Session, report: Report) -> None:
    """Draw a reference for a report that no case or report has, and store it with it."""

    def taken(reference: str) -> bool:
        if session.scalar(select(Case.id).where(Case.reference == reference)) is not None:
            return True
        try:
            with session.begin_nested():
                report.reference = reference
                session.flush()
        except IntegrityError:
            if not _is_report_reference(session, reference):
                raise  # some other constraint: not ours to retry
            return True
        return False

    references.unique_reference(taken)


def reporters_case(session: Session, typed_reference: str, reporter_id: int) -> Case | None:
    """The case a reporter may hear about by a reference: only one they were given."""
    reference = references.normalise(typed_reference)
    if not references.is_well_formed(reference):
        return None
    own = session.scalar(select(Report).where(Report.reference == reference))
    if own is not None:
        return own.case if own.reporter_id == reporter_id else None
    case = session.scalar(select(Case).where(Case.reference == reference))
    if case is None:
        return None
    theirs = session.scalars(
        select(Report).where(Report.case_id == case.id, Report.reporter_id == reporter_id)
    ).all()
    # Given the case's reference only if they filed into it and never got one of their own.
    if theirs and all(r.reference is None for r in theirs):
        return case
    return None


def _raise_priority(
    session: Session, case: Case, priority: str, now: datetime, deployment: Deployment
) -> None:
    """Make a case more urgent: an earlier deadline, and the agencies that urgency adds."""
    timeline.record(
        session,
        case,
        CaseEventKind.PRIORITY_RAISED,
        now,
        from_priority=case.priority,
        to_priority=priority,
    )
    case.priority = Priority(priority)
    if case.status in AWAITING_ACK:
        case.ack_due_at = min(case.ack_due_at, ack_due(priority, now, deployment.zone))
    added = _route_case(session, case, now)
    # Agencies already on the case hear of the new urgency too: an alert twice beats a
    # darurat case waiting in a digest.
    already = [a for a in _active_agencies(session, case) if a not in added]
    if already:
        notify.case_routed(session, case, already, now)


def relocate(session: Session, case: Case, region_code: str, now: datetime) -> list[Agency]:
    """Place a case more precisely (a reporter named the village later) and route anew.

    Agencies already on the case stay: they may have been alerted and be on their way.
    Returns the agencies the new place adds; they are alerted like any routed agency.
    """
    if _known_region(session, region_code) is None or region_code == case.region_code:
        return []
    timeline.record(session, case, CaseEventKind.LOCATED, now, region_code=region_code)
    case.region_code = region_code
    return _route_case(session, case, now)


def _active_agencies(session: Session, case: Case) -> list[Agency]:
    ids = [link.agency_id for link in case.agencies if link.is_active]
    if not ids:
        return []
    return list(session.scalars(select(Agency).where(Agency.id.in_(ids)).order_by(Agency.code)))


# --- work on a case -----------------------------------------------------------------------


def find_case(session: Session, typed_reference: str) -> Case | None:
    """Find a case by a reference as someone typed it: its own, or a joined report's."""
    reference = references.normalise(typed_reference)
    if not references.is_well_formed(reference):
        return None
    case = session.scalar(select(Case).where(Case.reference == reference))
    if case is None:
        report = session.scalar(select(Report).where(Report.reference == reference))
        case = report.case if report is not None else None
    return case


def agency_on_case(case_id: Any, agency_id: int) -> ColumnElement[bool]:
    """The condition that an agency is active on a case, wherever the case is.

    The one rule of who works on a case: SMS commands and the API's scope both use it, so
    a case referred across regions is seen by exactly the agencies that may act on it.
    """
    return exists().where(
        CaseAgency.case_id == case_id,
        CaseAgency.agency_id == agency_id,
        CaseAgency.is_active.is_(True),
        select(Agency.id).where(Agency.id == agency_id, Agency.is_active.is_(True)).exists(),
    )


def is_on_case(session: Session, case: Case, account: Account) -> bool:
    """Say whether an account is active staff of an agency active on the case."""
    # Only staff act for an agency: an agency on any other account is ignored.
    if not account.is_active or account.role != Role.STAFF or account.agency_id is None:
        return False
    return bool(session.scalar(select(agency_on_case(case.id, account.agency_id))))


def acknowledge(
    session: Session, case: Case, account: Account, now: datetime, by_sms: bool = False
) -> bool:
    """Record that an agency on the case has it; False if there was nothing to acknowledge.

    By SMS (a number can be forged) it answers for the sender's own agency only: the other
    agencies' chains keep running. Through the API, it answers for every agency on the case,
    including after an acknowledgement by SMS.
    """
    if not is_on_case(session, case, account):
        raise NotOnCase(f"account {account.id} is not on case {case.id}")
    if case.status in AWAITING_ACK:
        _move(session, case, CaseStatus.DITERIMA, now, account, "staff", None, by_sms=by_sms)
        return True
    if not case.acknowledged_by_sms:
        return False
    if by_sms:
        if not notify.agency_acknowledged(session, case, account, now):
            return False
    else:
        case.acknowledged_by_sms = False
        notify.case_acknowledged(session, case, account, now)
    timeline.record(session, case, CaseEventKind.ACKNOWLEDGED, now, account, "staff", by_sms=by_sms)
    return True


def change_status(
    session: Session,
    case: Case,
    to: CaseStatus | str,
    now: datetime,
    actor: Account | None = None,
    reason: str | None = None,
    actor_label: str = "system",
) -> None:
    """Move a case to another status, if the workflow allows it; refer() does dirujuk."""
    wanted = CaseStatus(to)
    if wanted == CaseStatus.DIRUJUK:
        raise ValueError("a referral names an agency: use refer()")
    workflow.check(case.status, wanted, reason)
    _move(session, case, wanted, now, actor, actor_label, reason)


def _move(
    session: Session,
    case: Case,
    wanted: CaseStatus,
    now: datetime,
    actor: Account | None,
    actor_label: str,
    reason: str | None,
    by_sms: bool = False,
) -> None:
    """Apply an allowed move: its timestamps, its timeline line, and what alerts must know."""
    current = case.status
    case.status = wanted
    case.updated_at = now
    acknowledged = current in AWAITING_ACK and wanted not in CLOSED
    if acknowledged:
        case.acknowledged_at = now
        case.acknowledged_by_sms = by_sms
        if actor is not None and actor.agency_id is not None:
            case.assigned_account_id = actor.id
    case.closed_at = now if wanted in CLOSED else None
    kind = (
        CaseEventKind.ACKNOWLEDGED
        if wanted == CaseStatus.DITERIMA and acknowledged
        else CaseEventKind.STATUS
    )
    detail: dict[str, str | bool] = {"from_status": current.value, "to_status": wanted.value}
    if reason:
        detail["reason"] = reason
    if by_sms:
        detail["by_sms"] = True
    timeline.record(session, case, kind, now, actor, actor_label, **detail)
    session.flush()
    if acknowledged and by_sms and actor is not None:
        notify.agency_acknowledged(session, case, actor, now)
    elif acknowledged:
        notify.case_acknowledged(session, case, actor, now)
    if wanted in CLOSED:
        notify.case_closed(session, case, now)


def refer(
    session: Session,
    case: Case,
    to_agency: Agency,
    now: datetime,
    actor: Account | None = None,
    reason: str | None = None,
    actor_label: str = "system",
    deployment: Deployment = DEFAULT_DEPLOYMENT,
) -> None:
    """Refer a case to another agency: it becomes primary, the old primaries step back.

    Only staff of a primary agency, a coordinator or an admin (or the system) hand the
    primary role on. A primary that must stay on the case (the police on emergencies and
    sexual violence) stays as supporting, and the timeline says so.
    """
    workflow.check(case.status, CaseStatus.DIRUJUK, reason)
    if not to_agency.is_active:
        raise ValueError(f"agency {to_agency.code} is not active")
    primaries = [x for x in case.agencies if x.is_active and x.role == AgencyRole.PRIMARY]
    _check_referral(case, primaries, to_agency, actor)
    stepping_back = [link for link in primaries if link.agency_id != to_agency.id]
    staying = _must_stay(session, case, [link.agency_id for link in stepping_back])
    from_codes = _codes(session, [x.agency_id for x in stepping_back if x.agency_id not in staying])
    for link in stepping_back:
        if link.agency_id in staying:
            link.role = AgencyRole.SUPPORTING
        else:
            link.is_active = False  # kept, not deleted: the history of who had the case
    _make_primary(case, to_agency, now)
    current = case.status
    case.status = CaseStatus.DIRUJUK
    # The new agency must acknowledge in its turn, on the priority's deadline from now.
    case.acknowledged_at = None
    case.assigned_account_id = None
    case.ack_due_at = ack_due(case.priority, now, deployment.zone)
    case.updated_at = now
    detail: dict[str, Any] = {"from_status": current.value, "from_agencies": from_codes}
    if staying:
        detail["kept"] = sorted(staying.values())
    if reason:
        detail["reason"] = reason
    timeline.record(
        session,
        case,
        CaseEventKind.REFERRED,
        now,
        actor,
        actor_label,
        to_agency=to_agency.code,
        **detail,
    )
    session.flush()
    notify.case_routed(session, case, [to_agency], now)


def _check_referral(
    case: Case, primaries: list[CaseAgency], to_agency: Agency, actor: Account | None
) -> None:
    """Refuse a referral by staff of an agency not primary on the case, or to its primary."""
    if [link.agency_id for link in primaries] == [to_agency.id]:
        raise ReferralRefused("already_primary", f"{to_agency.code} already has the case")
    if actor is None or actor.role in _REFER_ANY:
        return
    if actor.agency_id is None or actor.agency_id not in {x.agency_id for x in primaries}:
        raise ReferralRefused(
            "not_primary_agency", "Only the primary agency or a coordinator may refer this case."
        )


def _must_stay(session: Session, case: Case, agency_ids: list[int]) -> dict[int, str]:
    """Return, by id, the codes of these agencies a referral may not take off the case."""
    if not agency_ids or not needs_police(case.category, case.priority):
        return {}
    rows = session.execute(
        select(Agency.id, Agency.code).where(
            Agency.id.in_(agency_ids), Agency.kind == AgencyKind.POLICE_PPA
        )
    )
    return {agency_id: code for agency_id, code in rows}


def _make_primary(case: Case, agency: Agency, now: datetime) -> None:
    link = next((x for x in case.agencies if x.agency_id == agency.id), None)
    if link is None:
        case.agencies.append(CaseAgency(agency_id=agency.id, role=AgencyRole.PRIMARY, added_at=now))
    else:
        link.is_active = True
        link.role = AgencyRole.PRIMARY


def _codes(session: Session, agency_ids: list[int]) -> list[str]:
    if not agency_ids:
        return []
    return sorted(session.scalars(select(Agency.code).where(Agency.id.in_(agency_ids))))


def add_note(
    session: Session, case: Case, text: str, now: datetime, actor: Account | None = None
) -> None:
    """Add a staff note to the timeline (stored encrypted, like every event's details)."""
    if not text.strip():
        raise ValueError("a note needs some text")
    timeline.record(session, case, CaseEventKind.NOTE, now, actor, text=text)
    session.flush()


def record_read(session: Session, case: Case, account: Account, now: datetime) -> None:
    """Record that someone opened a case: every read is in the audit trail."""
    timeline.record(session, case, CaseEventKind.READ, now, account)
    session.flush()


def split_report(
    session: Session,
    report: Report,
    now: datetime,
    actor: Account | None = None,
    reason: str | None = None,
    deployment: Deployment = DEFAULT_DEPLOYMENT,
) -> Case:
    """Take a report out of its case into a new case of its own; return the new case."""
    old = report.case
    if old is None:
        raise ValueError("the report is in no case")
    if len(old.reports) < 2:
        raise ValueError("the report is its case's only report: nothing to split from")
    case = _open_case(session, report, report.region_code or old.region_code, now, deployment)
    detail: dict[str, Any] = {"report_id": report.id}
    if reason:
        detail["reason"] = reason
    timeline.record(session, old, CaseEventKind.SPLIT, now, actor, to_case=case.reference, **detail)
    timeline.record(
        session, case, CaseEventKind.OPENED, now, actor, split_from=old.reference, **detail
    )
    _route_case(session, case, now)
    return case
