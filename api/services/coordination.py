"""Coordinators' work through the API: the routing table, rosters and figures as JSON."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts import rosters
from alerts.summary import weekly_figures
from api.errors import invalid
from cases import routing
from core.errors import ApiError
from models import Account, Agency, RosterOverride, RosterRole, RosterSlot

_LINE = re.compile(r"^line (\d+): (.*)$")


def routing_rules(session: Session) -> list[dict[str, str]]:
    """Return the routing table as cases.routing exports it, one dict a rule."""
    out = io.StringIO()
    routing.export_rules(session, out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def replace_routing(
    session: Session, rules: list[dict[str, str]], provinces: list[str]
) -> tuple[int, int]:
    """Make these rules the routing table, checked as a routing file is; flush, not commit."""
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=routing.COLUMNS, lineterminator="\n", extrasaction="ignore"
    )
    writer.writeheader()
    writer.writerows(rules)
    try:
        return routing.import_rules(session, out.getvalue(), provinces)
    except routing.RoutingGaps as exc:
        raise ApiError(
            422,
            "routing_gaps",
            "The table leaves cases without an agency or without the police.",
            {"rules": exc.problems},
        ) from None
    except routing.RoutingFileError as exc:
        fields: dict[str, list[str]] = {}
        for problem in exc.problems:
            # Line 2 of the file is rule 0 of the request.
            match = _LINE.match(problem)
            name = f"rules.{int(match[1]) - 2}" if match else "rules"
            fields.setdefault(name, []).append(match[2] if match else problem)
        raise invalid(fields) from None


def roster(session: Session, agency: Agency, at: datetime, zone: ZoneInfo) -> dict[str, Any]:
    """Return an agency's weekly pattern, its overrides still to come, and who is on call."""
    slots = session.scalars(
        select(RosterSlot)
        .where(RosterSlot.agency_id == agency.id)
        .order_by(RosterSlot.weekday, RosterSlot.starts, RosterSlot.role)
    )
    overrides = session.scalars(
        select(RosterOverride)
        .where(RosterOverride.agency_id == agency.id)
        .where(RosterOverride.ends_on >= at.astimezone(zone).date())
        .order_by(RosterOverride.starts_on)
    )
    who = rosters.on_call(session, agency.id, at, zone)
    return {
        "agency": agency.code,
        "slots": [
            {
                "weekday": rosters.WEEKDAYS[s.weekday],
                "starts": s.starts.strftime("%H:%M"),
                "ends": "24:00" if s.ends == s.starts == time(0) else s.ends.strftime("%H:%M"),
                "account_id": s.account_id,
                "role": s.role.value,
            }
            for s in slots
        ],
        "overrides": [
            {
                "starts_on": o.starts_on,
                "ends_on": o.ends_on,
                "account_id": o.account_id,
                "role": o.role.value,
            }
            for o in overrides
        ],
        "on_call": {r.value: getattr(getattr(who, r.value), "id", None) for r in RosterRole},
    }


def set_roster_slots(session: Session, agency: Agency, body: dict[str, Any]) -> None:
    """Put one of the agency's staff on call weekly; flush, not commit."""
    account = session.get(Account, body["account_id"])
    if account is None or account.agency_id != agency.id or not account.is_active:
        raise invalid({"account_id": ["Not an active account of this agency."]})
    try:
        days = rosters.parse_weekdays(body["weekdays"])
    except ValueError as exc:
        raise invalid({"weekdays": [str(exc)]}) from None
    starts, ends = rosters.parse_clock(body["starts"]), rosters.parse_clock(body["ends"])
    rosters.set_slots(session, agency, days, starts, ends, account, RosterRole(body["role"]))


def figures(session: Session, first: date, last: date, zone: ZoneInfo) -> list[dict[str, Any]]:
    """Return weekly figures over local days first..last, the last week cut at the end."""
    start = datetime.combine(first, time(0), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
    weeks = []
    while start < end:
        cut = min(start + timedelta(days=7), end)
        weeks.append(weekly_figures(session, start, cut))
        start = cut
    return weeks
