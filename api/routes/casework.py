"""Routes of case work that follows through: police report, referrals, tasks, the reporter."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from alerts.rosters import zone
from api import scope
from api.errors import ApiBlueprint, invalid
from api.schemas import CaseOut
from api.schemas.casework import (
    ContactOut,
    MessageIn,
    MessageOut,
    ReferralAnswerIn,
    ReferralDeclineIn,
    ReferralIn,
    ReferralListOut,
    ReferralOut,
    ReferralOutcomeIn,
    TaskIn,
    TaskListOut,
    TaskOut,
)
from api.services.present import cases_out
from cases import referrals, relay, tasks
from cases.police import record_police_report
from core import clock
from core.db import db
from core.errors import ApiError
from models import Agency, AgencyRole, Case, CaseAgency, FollowUpTask, Role, ServiceReferral

bp = ApiBlueprint(
    "casework", __name__, url_prefix="/api/v1/cases", description="Case work that follows through."
)
bp.before_request(scope.authenticate_request)


@bp.post("/<reference>/police-report")
@bp.response(200, CaseOut)
@bp.errors(403, 404)
def police_report(reference: str) -> dict[str, Any]:
    """Record that the police have been told (UU TPKS art. 41); again is harmless."""
    who, case = scope.case_to_work_on(db.session, reference)
    record_police_report(db.session, case, clock.now(), who.account)
    db.session.commit()
    return cases_out(db.session, [case])[0]


# --- service referrals ----------------------------------------------------------------------


@bp.get("/<reference>/referrals")
@bp.response(200, ReferralListOut)
@bp.errors(404)
def list_referrals(reference: str) -> dict[str, Any]:
    """The case's service referrals, oldest first."""
    who = scope.caller()
    case = scope.find(db.session, who, reference)
    readable = scope.may_read_text(db.session, who, case)
    found = db.session.scalars(
        select(ServiceReferral).where(ServiceReferral.case_id == case.id).order_by("id")
    )
    return {"items": [referrals.shaped(db.session, r, readable) for r in found]}


@bp.post("/<reference>/referrals")
@bp.arguments(ReferralIn)
@bp.response(201, ReferralOut)
@bp.errors(400, 403, 404, 415)
def ask_referral(body: dict[str, Any], reference: str) -> dict[str, Any]:
    """Ask another agency for a service on the case; the case stays where it is."""
    who, case = scope.case_to_work_on(db.session, reference)
    to_agency = _agency(body["agency"])
    from_agency = who.agency if who.role == Role.STAFF and who.agency else _primary(case)
    try:
        referral = referrals.ask(
            db.session,
            case,
            from_agency,
            to_agency,
            body["service"],
            body["note"],
            who.account,
            clock.now(),
            zone(),
        )
    except ValueError as exc:
        raise invalid({"agency": [str(exc)]}) from None
    db.session.commit()
    return referrals.shaped(db.session, referral, True)


@bp.post("/<reference>/referrals/<int:referral_id>/accept")
@bp.arguments(ReferralAnswerIn)
@bp.response(200, ReferralOut)
@bp.errors(400, 403, 404, 409, 415)
def accept_referral(body: dict[str, Any], reference: str, referral_id: int) -> dict[str, Any]:
    """The asked agency takes the referral on."""
    return _answer(reference, referral_id, True, body["reason"])


@bp.post("/<reference>/referrals/<int:referral_id>/decline")
@bp.arguments(ReferralDeclineIn)
@bp.response(200, ReferralOut)
@bp.errors(400, 403, 404, 409, 415)
def decline_referral(body: dict[str, Any], reference: str, referral_id: int) -> dict[str, Any]:
    """The asked agency declines, saying why."""
    return _answer(reference, referral_id, False, body["reason"])


@bp.post("/<reference>/referrals/<int:referral_id>/outcome")
@bp.arguments(ReferralOutcomeIn)
@bp.response(200, ReferralOut)
@bp.errors(400, 403, 404, 409, 415)
def referral_outcome(body: dict[str, Any], reference: str, referral_id: int) -> dict[str, Any]:
    """The asked agency records what came of an accepted referral."""
    case, referral, who = _referral_to_answer(reference, referral_id)
    try:
        referrals.record_outcome(
            db.session, case, referral, body["outcome"], who.account, clock.now()
        )
    except referrals.ReferralConflict as exc:
        raise ApiError(409, "referral_state", str(exc)) from None
    except ValueError as exc:
        raise invalid({"outcome": [str(exc)]}) from None
    db.session.commit()
    return referrals.shaped(db.session, referral, True)


def _answer(reference: str, referral_id: int, accept: bool, reason: str | None) -> dict[str, Any]:
    case, referral, who = _referral_to_answer(reference, referral_id)
    try:
        referrals.answer(db.session, case, referral, accept, reason, who.account, clock.now())
    except referrals.ReferralConflict as exc:
        raise ApiError(409, "referral_state", str(exc)) from None
    except ValueError as exc:
        raise invalid({"reason": [str(exc)]}) from None
    db.session.commit()
    return referrals.shaped(db.session, referral, True)


def _referral_to_answer(
    reference: str, referral_id: int
) -> tuple[Case, ServiceReferral, scope.Caller]:
    """The case and referral: 404 if unseen, 403 unless the caller's agency was asked."""
    who = scope.caller()
    case = scope.find(db.session, who, reference)
    referral = db.session.get(ServiceReferral, referral_id)
    if referral is None or referral.case_id != case.id:
        raise ApiError(404, "not_found", "No such referral.")
    asked = who.agency is not None and who.agency.id == referral.to_agency_id
    if not (asked or who.role in scope.DEPLOYMENT_WIDE):
        raise ApiError(403, "forbidden", "Only the asked agency answers a referral.")
    return case, referral, who


def _agency(code: str) -> Agency:
    agency = db.session.scalar(select(Agency).where(Agency.code == code.upper()))
    if agency is None or not agency.is_active:
        raise invalid({"agency": ["No active agency with this code."]})
    return agency


def _primary(case: Case) -> Agency:
    link = next(
        (x for x in case.agencies if x.is_active and x.role == AgencyRole.PRIMARY), None
    ) or next((x for x in case.agencies if x.is_active), None)
    if link is None:
        raise ApiError(409, "no_agency", "The case has no active agency to refer from.")
    return db.session.get_one(Agency, link.agency_id)


# --- follow-up tasks ------------------------------------------------------------------------


@bp.get("/<reference>/tasks")
@bp.response(200, TaskListOut)
@bp.errors(404)
def list_tasks(reference: str) -> dict[str, Any]:
    """The case's follow-up tasks, by due time."""
    who = scope.caller()
    case = scope.find(db.session, who, reference)
    readable = scope.may_read_text(db.session, who, case)
    rows = db.session.execute(
        select(FollowUpTask, Agency.code)
        .join(Agency, Agency.id == FollowUpTask.agency_id)
        .where(FollowUpTask.case_id == case.id)
        .order_by(FollowUpTask.due_at, FollowUpTask.id)
    ).all()
    return {"items": [tasks.shaped(task, code, readable) for task, code in rows]}


@bp.post("/<reference>/tasks")
@bp.arguments(TaskIn)
@bp.response(201, TaskOut)
@bp.errors(400, 403, 404, 415)
def add_task(body: dict[str, Any], reference: str) -> dict[str, Any]:
    """Give an agency on the case a task with a due time (the caller's own agency by default)."""
    who, case = scope.case_to_work_on(db.session, reference)
    agency = _agency(body["agency"]) if body["agency"] else who.agency
    if agency is None:
        raise invalid({"agency": ["Name the agency the task is for."]})
    on_case = db.session.scalar(
        select(CaseAgency.id).where(
            CaseAgency.case_id == case.id, CaseAgency.agency_id == agency.id, CaseAgency.is_active
        )
    )
    if on_case is None:
        raise invalid({"agency": ["The agency is not on the case."]})
    task = tasks.add_task(
        db.session, case, agency, body["title"], body["due_at"], who.account, clock.now()
    )
    db.session.commit()
    return tasks.shaped(task, agency.code, True)


@bp.post("/<reference>/tasks/<int:task_id>/done")
@bp.response(200, TaskOut)
@bp.errors(403, 404)
def complete_task(reference: str, task_id: int) -> dict[str, Any]:
    """Mark a task done (again is harmless)."""
    who, case = scope.case_to_work_on(db.session, reference)
    task = db.session.get(FollowUpTask, task_id)
    if task is None or task.case_id != case.id:
        raise ApiError(404, "not_found", "No such task.")
    tasks.complete(db.session, case, task, who.account, clock.now())
    db.session.commit()
    agency = db.session.get(Agency, task.agency_id)
    return tasks.shaped(task, agency.code if agency else "", True)


# --- the reporter ---------------------------------------------------------------------------


@bp.post("/<reference>/messages")
@bp.arguments(MessageIn)
@bp.response(201, MessageOut)
@bp.errors(400, 403, 404, 409, 415)
def message_reporter(body: dict[str, Any], reference: str) -> dict[str, Any]:
    """Write to the case's reporter through SIGAP, on the channel they used; no number shown."""
    who, case = scope.case_to_work_on(db.session, reference)
    try:
        relay.send_to_reporter(db.session, case, body["text"], who.account, clock.now())
    except relay.NotReachable as exc:
        raise ApiError(409, "reporter_not_reachable", str(exc)) from None
    except ValueError as exc:
        raise invalid({"text": [str(exc)]}) from None
    db.session.commit()
    return {"status": "queued"}


@bp.post("/<reference>/reporter-contact")
@bp.response(200, ContactOut)
@bp.errors(403, 404, 409)
def reveal_contact(reference: str) -> dict[str, Any]:
    """Show the reporter's number to the primary agency's staff, when they agreed; recorded."""
    who = scope.caller()
    case = scope.find(db.session, who, reference)
    if who.role != Role.STAFF:
        raise ApiError(403, "forbidden", "Only staff of the case's primary agency may call.")
    try:
        number = relay.reveal_number(db.session, case, who.account, clock.now())
    except relay.NotReachable as exc:
        raise ApiError(409, "no_consent", str(exc)) from None
    except PermissionError as exc:
        raise ApiError(403, "forbidden", str(exc)) from None
    db.session.commit()
    return {"phone": number}
