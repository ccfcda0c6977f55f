"""Offline sync for facilitators: file a batch item by item, and say what changed since."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from alerts.escalation import forget_held_since, held_mark
from api.errors import flatten, invalid
from api.limits import BatchBudget
from api.schemas import SyncItemIn
from cases import Deployment, ReportIn, file_report
from core.bounds import bounded_int
from intake.places import Gazetteer
from intake.triage import triage
from models import (
    Account,
    Agency,
    Case,
    CaseAgency,
    CaseEvent,
    CaseEventKind,
    Region,
    RegionLevel,
    Report,
)

#: Timeline kinds that change what a facilitator sees of a case (not reads, notes, alerts).
CHANGE_KINDS = (
    CaseEventKind.OPENED,
    CaseEventKind.REPORT_JOINED,
    CaseEventKind.ROUTED,
    CaseEventKind.UNROUTED,
    CaseEventKind.ACKNOWLEDGED,
    CaseEventKind.STATUS,
    CaseEventKind.REFERRED,
    CaseEventKind.PRIORITY_RAISED,
    CaseEventKind.LOCATED,
    CaseEventKind.SPLIT,
)
#: Longer than any transaction that writes timeline events. An event id is drawn when the
#: row is inserted but seen only at commit, so on PostgreSQL a lower id can appear after a
#: higher one; the cursor never passes an event younger than this, so none is skipped.
SETTLE = timedelta(seconds=60)


@dataclass(frozen=True)
class ItemResult:
    """What became of one batch item."""

    index: int
    client_uuid: str | None
    outcome: str  # created, already_received, rejected, rate_limited
    reference: str | None = None
    status: str | None = None
    errors: dict[str, list[str]] | None = field(default=None)
    #: For `rate_limited`: seconds before the phone sends the item again.
    retry_after: int | None = None


def sync_item(
    session: Session,
    facilitator: Account,
    index: int,
    raw: Any,
    now: datetime,
    deployment: Deployment,
    gazetteer: Gazetteer | None,
    budget: BatchBudget | None = None,
) -> ItemResult:
    """File one report from a phone once, however often it is sent; flush, never commit.

    With a budget, an item past the account's limits is answered `rate_limited` and not
    stored, and so is one that would add too many of its reports to one case in a day.
    """
    hint = raw.get("client_uuid") if isinstance(raw, dict) else None
    uuid_hint = hint if isinstance(hint, str) else None
    try:
        item = SyncItemIn().load(raw)
    except ValidationError as exc:
        return ItemResult(index, uuid_hint, "rejected", errors=flatten(exc.messages))
    uuid = str(item["client_uuid"])
    earlier = _earlier(session, uuid)
    if earlier is not None:
        return _answer_again(index, uuid, earlier, facilitator)
    report_in = _report_in(session, facilitator, uuid, item, gazetteer)
    if isinstance(report_in, dict):
        return ItemResult(index, uuid, "rejected", errors=report_in)
    refusal = budget.refusal(report_in.priority) if budget else None
    if refusal is not None:
        return _rate_limited(index, uuid, *refusal)
    mark = held_mark()
    try:
        with session.begin_nested() as savepoint:
            filed = file_report(session, report_in, now, deployment)
            if budget and budget.joined_too_often(session, facilitator, filed.case.id, now):
                savepoint.rollback()  # the report, its timeline line and its alerts
                forget_held_since(mark)
                return _rate_limited(
                    index, uuid, "Too many reports added to one case today.", budget.retry_tomorrow
                )
    except IntegrityError:
        forget_held_since(mark)
        # Another request filed the same UUID between our look and our insert.
        earlier = _earlier(session, uuid)
        if earlier is None:
            raise
        return _answer_again(index, uuid, earlier, facilitator)
    if budget:
        budget.spend(report_in.priority)
    return ItemResult(index, uuid, "created", filed.case.reference, filed.case.status.value)


def _rate_limited(index: int, uuid: str, reason: str, retry_after: int) -> ItemResult:
    """An item not filed now, to be sent again after `retry_after` seconds."""
    return ItemResult(
        index, uuid, "rate_limited", errors={"_schema": [reason]}, retry_after=retry_after
    )


def _earlier(session: Session, uuid: str) -> Report | None:
    return session.scalar(select(Report).where(Report.client_uuid == uuid))


def _answer_again(index: int, uuid: str, earlier: Report, facilitator: Account) -> ItemResult:
    """Answer a resent report as the first time, unless another account's phone made it."""
    if earlier.facilitator_id != facilitator.id:
        # Never tell whose it is or which case: a UUID is no proof of having filed it.
        return ItemResult(index, uuid, "rejected", errors={"client_uuid": ["Already used."]})
    case = earlier.case
    return ItemResult(
        index,
        uuid,
        "already_received",
        case.reference if case else None,
        case.status.value if case else None,
    )


def _report_in(
    session: Session,
    facilitator: Account,
    uuid: str,
    item: dict[str, Any],
    gazetteer: Gazetteer | None,
) -> ReportIn | dict[str, list[str]]:
    """Complete an item from triage of its text; return field errors if it cannot be filed."""
    region = item["region_code"]
    if region is not None and session.get(Region, region) is None:
        return {"region_code": ["Not a place in the gazetteer."]}
    if region is not None and not _in_area(facilitator, region):
        return {"region_code": [f"Outside your area ({facilitator.region_code})."]}
    triaged = {"category": item["category"], "victim": item["victim"], "priority": item["priority"]}
    if None in triaged.values():
        found = triage(item["text"], gazetteer)
        guess = {"category": found.category, "victim": found.victim, "priority": found.priority}
        triaged = {k: v if v is not None else str(guess[k]) for k, v in triaged.items()}
        if region is None and found.location is not None:
            region = found.location.code
            if not _in_area(facilitator, region):
                return {"text": [f"Names a place outside your area ({facilitator.region_code})."]}
    return ReportIn(
        source="app",
        text=item["text"] or "",
        region_code=region,
        facilitator_id=facilitator.id,
        client_uuid=uuid,
        captured_at=item["captured_at"],
        is_anonymous=item["is_anonymous"],
        may_contact=item["may_contact"],
        **triaged,
    )


def _in_area(facilitator: Account, region: str) -> bool:
    """Say whether a place is inside the facilitator's village or district (codes nest)."""
    area = facilitator.region_code
    return area is None or region == area or region.startswith(area + ".")


# --- changes --------------------------------------------------------------------------------


def encode_cursor(event_id: int) -> str:
    """Return an opaque cursor for a position in the timeline."""
    return base64.urlsafe_b64encode(f"v1:{event_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """Return the timeline position of a cursor this server gave, or raise a 422."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, _, position = text.partition(":")
        # Event ids fit 64 bits: anything wider never came from this server.
        found = bounded_int(position, 0, 2**63 - 1) if version == "v1" else None
        if found is not None:
            return found
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise invalid({"cursor": ["Not a cursor this server gave."]})


def changes_since(
    session: Session, facilitator: Account, position: int, limit: int, now: datetime
) -> tuple[list[dict[str, Any]], int, bool]:
    """Return the facilitator's cases changed after a position, the next position, and more.

    Changes are the cases' state now, so sending one twice is harmless; missing one is not.
    """
    mine = select(Report.case_id).where(Report.facilitator_id == facilitator.id)
    events = session.execute(
        select(CaseEvent.id, CaseEvent.case_id, CaseEvent.at)
        .where(CaseEvent.case_id.in_(mine), CaseEvent.kind.in_(CHANGE_KINDS))
        .where(CaseEvent.id > position)
        .order_by(CaseEvent.id)
        .limit(limit + 1)
    ).all()
    full, events = len(events) > limit, events[:limit]
    latest: dict[int, datetime] = {}
    for _event_id, case_id, at in events:
        latest[case_id] = max(at, latest.get(case_id, at))
    next_position = _settled_position(events, position, now)
    # A full page the cursor could not pass yet is sent again later, not looped on now.
    more = full and next_position == events[-1][0]
    return _changes(session, facilitator, latest), next_position, more


def _settled_position(events: Sequence[Any], position: int, now: datetime) -> int:
    """Return the last event id before the first one too young to be sure of its neighbours."""
    for event_id, _case_id, at in events:
        if at > now - SETTLE:
            break
        position = event_id
    return position


def _changes(
    session: Session, facilitator: Account, latest: dict[int, datetime]
) -> list[dict[str, Any]]:
    """Shape each changed case: reference, status, active agencies, the phone's UUIDs."""
    if not latest:
        return []
    cases = session.scalars(select(Case).where(Case.id.in_(latest))).all()
    agencies: dict[int, list[str]] = {i: [] for i in latest}
    for case_id, name in session.execute(
        select(CaseAgency.case_id, Agency.name)
        .join(Agency, Agency.id == CaseAgency.agency_id)
        .where(CaseAgency.case_id.in_(latest), CaseAgency.is_active.is_(True))
        .order_by(CaseAgency.role, Agency.name)
    ):
        agencies[case_id].append(name)
    uuids: dict[int, list[str]] = {i: [] for i in latest}
    for of_case, uuid in session.execute(
        select(Report.case_id, Report.client_uuid).where(
            Report.case_id.in_(latest), Report.facilitator_id == facilitator.id
        )
    ):
        if uuid and of_case is not None:
            uuids[of_case].append(uuid)
    order = sorted(cases, key=lambda c: (latest[c.id], c.id))
    return [
        {
            "reference": c.reference,
            "status": c.status.value,
            "agencies": agencies[c.id],
            "updated_at": latest[c.id],
            "client_uuids": sorted(uuids[c.id]),
        }
        for c in order
    ]


# --- villages -------------------------------------------------------------------------------


def villages_of(session: Session, region_code: str | None) -> dict[str, Any]:
    """Return a facilitator's area and its villages (with their districts), ordered by name."""
    area = session.get(Region, region_code) if region_code else None
    if area is None:
        return {"region": None, "villages": []}
    district = aliased(Region)
    rows = session.execute(
        select(Region.code, Region.name, district.name)
        .outerjoin(district, district.code == Region.parent_code)
        .where(Region.level == RegionLevel.VILLAGE)
        .where(
            (Region.code == area.code) | Region.code.startswith(area.code + ".", autoescape=True)
        )
        .order_by(Region.name, Region.code)
    ).all()
    return {
        "region": {"code": area.code, "name": area.name},
        "villages": [{"code": c, "name": n, "district": d} for c, n, d in rows],
    }
