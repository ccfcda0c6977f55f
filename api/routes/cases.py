"""Routes of staff case work: list, read, download media, acknowledge, change status, note,
refer."""

from __future__ import annotations

from typing import Any

from flask import Response
from sqlalchemy import select

from api import downloads, limits, scope
from api.errors import ApiBlueprint, invalid
from api.schemas import (
    CaseDetailOut,
    CaseListOut,
    CaseListQuery,
    CaseOut,
    NoteIn,
    ReferIn,
    StatusIn,
)
from api.services import listing
from api.services.present import case_detail, cases_out
from cases import (
    NotOnCase,
    ReasonRequired,
    ReferralRefused,
    TransitionNotAllowed,
    acknowledge,
    add_note,
    change_status,
    record_read,
    refer,
)
from cases.audit import record_listing
from cases.closure import ClosureReasonRequired, check_closure, record_closure
from cases.media import MediaNotFound, MediaUnreadable, open_media
from core import clock, deployment
from core.bounds import MAX_DB_INT
from core.db import db
from core.errors import ApiError
from models import Agency

#: How each refused referral answers: not the caller's to give, or nothing to give.
_REFUSED_STATUS = {"not_primary_agency": 403, "already_primary": 409}

bp = ApiBlueprint("cases", __name__, url_prefix="/api/v1/cases", description="Case work.")
bp.before_request(scope.authenticate_request)
bp.before_request(limits.charge_request)


@bp.get("")
@bp.arguments(CaseListQuery, location="query")
@bp.response(200, CaseListOut)
@bp.errors()
def list_cases(filters: dict[str, Any]) -> dict[str, Any]:
    """List the cases the caller may see, filtered, one page at a time."""
    zone = deployment.current().tz
    who = scope.caller()
    query = listing.filtered(who, filters, zone)
    found = listing.page(db.session, query, filters["page"], filters["per_page"])
    shown = found.pop("cases")
    references = [case.reference for case in shown]
    record_listing(db.session, who.account, "cases.list", clock.now(), references, filters)
    db.session.commit()
    found["items"] = cases_out(db.session, shown)
    return found


@bp.get("/<reference>")
@bp.response(200, CaseDetailOut)
@bp.errors(404)
def read_case(reference: str) -> dict[str, Any]:
    """Show a case with its reports and timeline; the read goes into the timeline."""
    who = scope.caller()
    case = scope.find(db.session, who, reference)
    record_read(db.session, case, who.account, clock.now())
    db.session.commit()
    return case_detail(db.session, who, case)


@bp.get(f"/<reference>/media/<int(min=1, max={MAX_DB_INT}):media_id>")
@bp.response(200, description="The file, decrypted, as an attachment.", **downloads.DOC)
@bp.alt_response(200, **downloads.ALT_DOCS[0])
@bp.alt_response(200, **downloads.ALT_DOCS[1])
@bp.errors(403, 404, 503)
def download_media(reference: str, media_id: int) -> Response:
    """Download one photo, voice note or document of a case; the read goes into the timeline.

    Staff on the case and coordinators only, as for what people wrote.
    """
    who = scope.caller()
    case = scope.find(db.session, who, reference)
    if not scope.may_read_text(db.session, who, case):
        raise ApiError(403, "forbidden", "Your role may not open what people sent.")
    try:
        opened = open_media(db.session, case, media_id, who.account, clock.now())
    except MediaNotFound:
        raise ApiError(404, "not_found", "No such file on this case.") from None
    except MediaUnreadable:
        raise ApiError(503, "unavailable", "The file cannot be read now.") from None
    db.session.commit()
    return downloads.attachment(opened, case.reference)


@bp.post("/<reference>/acknowledge")
@bp.response(200, CaseOut)
@bp.errors(403, 404)
def acknowledge_case(reference: str) -> dict[str, Any]:
    """Say the caller's agency has the case (again is harmless)."""
    who = scope.caller()
    case = scope.find(db.session, who, reference)
    try:
        acknowledge(db.session, case, who.account, clock.now())
    except NotOnCase:
        raise ApiError(403, "forbidden", "Only staff on the case acknowledge.") from None
    db.session.commit()
    return cases_out(db.session, [case])[0]


@bp.post("/<reference>/status")
@bp.arguments(StatusIn)
@bp.response(200, CaseOut)
@bp.errors(400, 403, 404, 409, 415)
def set_status(body: dict[str, Any], reference: str) -> dict[str, Any]:
    """Move a case to another status, with a reason where the workflow wants one."""
    who, case = scope.case_to_work_on(db.session, reference)
    now, closing = clock.now(), (body["closure_reason"], body["services_given"])
    try:
        check_closure(body["status"], closing[0])
        change_status(db.session, case, body["status"], now, who.account, body["reason"], "staff")
        record_closure(db.session, case, *closing, now, who.account)
    except TransitionNotAllowed as exc:
        raise ApiError(409, "transition_not_allowed", str(exc)) from None
    except ClosureReasonRequired as exc:
        raise invalid({"closure_reason": [str(exc)]}) from None
    except (ReasonRequired, ValueError) as exc:
        field = "reason" if isinstance(exc, ReasonRequired) else "status"
        raise invalid({field: [str(exc)]}) from None
    db.session.commit()
    return cases_out(db.session, [case])[0]


@bp.post("/<reference>/notes")
@bp.arguments(NoteIn)
@bp.response(201, CaseOut)
@bp.errors(400, 403, 404, 415)
def add_case_note(body: dict[str, Any], reference: str) -> dict[str, Any]:
    """Add a note to a case's timeline."""
    who, case = scope.case_to_work_on(db.session, reference)
    try:
        add_note(db.session, case, body["text"], clock.now(), who.account)
    except ValueError as exc:
        raise invalid({"text": [str(exc)]}) from None
    db.session.commit()
    return cases_out(db.session, [case])[0]


@bp.post("/<reference>/refer")
@bp.arguments(ReferIn)
@bp.response(200, CaseOut)
@bp.errors(400, 403, 404, 409, 415)
def refer_case(body: dict[str, Any], reference: str) -> dict[str, Any]:
    """Refer a case to another agency, which becomes its primary.

    Staff of the primary agency, coordinators and admins may; the police stay on
    emergencies and sexual violence, as supporting.
    """
    who, case = scope.case_to_work_on(db.session, reference)
    agency = db.session.scalar(select(Agency).where(Agency.code == body["agency"].upper()))
    if agency is None or not agency.is_active:
        raise invalid({"agency": ["No active agency with this code."]})
    here = deployment.current()
    try:
        refer(db.session, case, agency, clock.now(), who.account, body["reason"], "staff", here)
    except TransitionNotAllowed as exc:
        raise ApiError(409, "transition_not_allowed", str(exc)) from None
    except ReasonRequired as exc:
        raise invalid({"reason": [str(exc)]}) from None
    except ReferralRefused as exc:
        raise ApiError(_REFUSED_STATUS[exc.code], exc.code, str(exc)) from None
    db.session.commit()
    return cases_out(db.session, [case])[0]
