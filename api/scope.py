"""Who may see and touch which cases: decided here, once, for every request of the API.

Staff see the cases their agency is active on, wherever they are (routing or a referral
may put an agency on a case outside its own region); coordinators and admins see every case
of the deployment; facilitators see the cases of reports they filed. A case outside the
caller's scope answers exactly like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, request
from sqlalchemy import ColumnElement, exists, false, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from api import tokens
from cases import agency_on_case, find_case, is_on_case, referrals
from core import clock, deployment
from core.db import db
from core.errors import ApiError
from models import Account, Agency, Case, Report, Role

#: Roles that see every case of the deployment.
DEPLOYMENT_WIDE = frozenset({Role.COORDINATOR, Role.ADMIN})


@dataclass(frozen=True)
class Caller:
    """The account a request acts for, with its agency (staff) loaded once."""

    account: Account
    agency: Agency | None

    @property
    def role(self) -> Role:
        return self.account.role


def authenticate_request() -> None:
    """Find the caller from the bearer token, or answer 401 (a blueprint's before_request)."""
    token = tokens.bearer(request.headers.get("Authorization"))
    account = tokens.authenticate(db.session, token, clock.now())
    g.caller = Caller(account, account.agency)


def caller() -> Caller:
    """Return the caller of this request."""
    return g.caller


def inside(
    column: ColumnElement[str] | InstrumentedAttribute[str], region_code: str
) -> ColumnElement[bool]:
    """Say whether a region code column is a region or one of its parts (codes are prefixes)."""
    return or_(column == region_code, column.startswith(region_code + ".", autoescape=True))


def visible(who: Caller) -> ColumnElement[bool]:
    """Return the condition on Case that keeps only the cases the caller may see."""
    if who.role in DEPLOYMENT_WIDE:
        provinces = deployment.current().provinces
        return or_(*(inside(Case.region_code, p) for p in provinces)) if provinces else true()
    if who.role == Role.FACILITATOR:
        return exists().where(Report.case_id == Case.id, Report.facilitator_id == who.account.id)
    if who.role == Role.STAFF and who.agency is not None and who.agency.is_active:
        # The agencies on the case decide, not its region: a referral may bring a case
        # from another regency, and its new agency must see what its staff's SMS can touch.
        # An agency asked for a service on a case reads it while that request is open.
        return or_(agency_on_case(Case.id, who.agency.id), referrals.open_to(who.agency.id))
    return false()


def find(session: Session, who: Caller, reference: str) -> Case:
    """Return the case with this reference if the caller may see it; else 404, as if absent."""
    case = find_case(session, reference)
    if case is not None and session.scalar(select(Case.id).where(Case.id == case.id, visible(who))):
        return case
    raise ApiError(404, "not_found", "No such case.")


def may_read_text(session: Session, who: Caller, case: Case) -> bool:
    """Say whether the caller may read what people wrote: coordinators, staff on the case."""
    if who.role == Role.COORDINATOR:
        return True
    if who.role == Role.STAFF and referrals.receives(session, case, who.account):
        return True
    return who.role == Role.STAFF and is_on_case(session, case, who.account)


def require_role(who: Caller, *roles: Role) -> None:
    """Answer 403 unless the caller has one of these roles."""
    if who.role not in roles:
        raise ApiError(403, "forbidden", "Your role may not do this.")


def case_to_work_on(session: Session, reference: str) -> tuple[Caller, Case]:
    """Return the caller and the case: 404 if they cannot see it, 403 if they may not work on it.

    Staff of an agency on the case may work on it, and the deployment-wide roles.
    """
    who = caller()
    case = find(session, who, reference)
    if who.role in DEPLOYMENT_WIDE:
        return who, case
    if who.role == Role.STAFF and is_on_case(session, case, who.account):
        return who, case
    raise ApiError(403, "forbidden", "Only staff of an agency on the case may do this.")
