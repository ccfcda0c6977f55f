"""Routes of coordinators: the routing table, on-call rosters, response figures."""

from __future__ import annotations

import re
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import select

from api import limits, scope
from api.errors import ApiBlueprint
from api.schemas import (
    AGENCY_CODE,
    FiguresOut,
    FiguresQuery,
    RosterOut,
    RosterSlotIn,
    RoutingChangeOut,
    RoutingIn,
    RoutingOut,
)
from api.services import coordination as service
from core import clock, deployment
from core.db import db
from core.errors import ApiError
from models import Agency

bp = ApiBlueprint("coordination", __name__, url_prefix="/api/v1", description="Coordinators.")


@bp.before_request
def _coordinators_only() -> None:
    scope.authenticate_request()
    limits.charge_request()
    scope.require_role(scope.caller(), *scope.DEPLOYMENT_WIDE)


def _zone() -> ZoneInfo:
    return deployment.current().tz


def _agency(code: str) -> Agency:
    """Return the agency a path names, or answer 404."""
    agency = None
    if cast("re.Pattern[str]", AGENCY_CODE.regex).match(code):
        agency = db.session.scalar(select(Agency).where(Agency.code == code.upper()))
    if agency is None:
        raise ApiError(404, "not_found", "No such agency.")
    return agency


@bp.get("/routing")
@bp.response(200, RoutingOut)
@bp.errors(403)
def get_routing() -> dict[str, Any]:
    """Return the routing table."""
    return {"rules": service.routing_rules(db.session)}


@bp.put("/routing")
@bp.arguments(RoutingIn)
@bp.response(200, RoutingChangeOut)
@bp.errors(400, 403, 415)
def put_routing(body: dict[str, Any]) -> dict[str, Any]:
    """Replace the routing table; a table with any error, or with gaps, changes nothing.

    Gaps are cases a table would send to no agency, or emergencies and sexual violence it
    would send to no police unit: refused with 422 routing_gaps, one line a place.
    """
    provinces = list(deployment.current().provinces)
    removed, added = service.replace_routing(db.session, body["rules"], provinces)
    db.session.commit()
    return {"removed": removed, "added": added}


@bp.get("/rosters/<agency_code>")
@bp.response(200, RosterOut)
@bp.errors(403, 404)
def get_roster(agency_code: str) -> dict[str, Any]:
    """Return an agency's on-call roster and who is on call now."""
    return service.roster(db.session, _agency(agency_code), clock.now(), _zone())


@bp.post("/rosters/<agency_code>")
@bp.arguments(RosterSlotIn)
@bp.response(200, RosterOut)
@bp.errors(400, 403, 404, 415)
def post_roster(body: dict[str, Any], agency_code: str) -> dict[str, Any]:
    """Put one of the agency's staff on call weekly, replacing whoever held those hours."""
    agency = _agency(agency_code)
    service.set_roster_slots(db.session, agency, body)
    db.session.commit()
    return service.roster(db.session, agency, clock.now(), _zone())


@bp.get("/figures")
@bp.arguments(FiguresQuery, location="query")
@bp.response(200, FiguresOut)
@bp.errors(403)
def get_figures(query: dict[str, Any]) -> dict[str, Any]:
    """Return cases by category, priority and regency, week by week."""
    weeks = service.figures(db.session, query["from_"], query["to"], _zone())
    return {"weeks": weeks}
