"""On-call rosters: a weekly pattern per agency and role, with day overrides on top."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from core import deployment
from models import Account, Agency, Role, RosterOverride, RosterRole, RosterSlot

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY = 24 * 60
_WEEK = 7 * _DAY


@dataclass(frozen=True)
class OnCall:
    """Who answers for an agency at one moment; None where nobody is rostered."""

    primary: Account | None
    backup: Account | None
    supervisor: Account | None

    def first(self) -> Account | None:
        """Return the most senior-in-line person on call: primary, else backup, else supervisor."""
        return self.primary or self.backup or self.supervisor


def zone() -> ZoneInfo:
    """Return the deployment's zone (SIGAP_TIMEZONE)."""
    return deployment.current().tz


def covers(weekday: int, starts: time, ends: time, local: datetime) -> bool:
    """Return whether a weekly slot covers a local moment; slots may run past midnight."""
    day, now = local.weekday(), local.time().replace(tzinfo=None)
    if starts < ends:
        return weekday == day and starts <= now < ends
    # Ends at or before it starts: the slot runs into the next day (24 hours when equal).
    return (weekday == day and now >= starts) or (weekday == (day - 1) % 7 and now < ends)


# The reads of every alert, built once.
_OVERRIDES = (
    select(RosterOverride.agency_id, RosterOverride.role, RosterOverride.account_id)
    .where(RosterOverride.agency_id.in_(bindparam("agency_ids", expanding=True)))
    .where(RosterOverride.starts_on <= bindparam("day"), RosterOverride.ends_on >= bindparam("day"))
    .order_by(RosterOverride.id.desc())
)
_SLOTS = (
    select(
        RosterSlot.agency_id,
        RosterSlot.role,
        RosterSlot.weekday,
        RosterSlot.starts,
        RosterSlot.ends,
        RosterSlot.account_id,
    )
    .where(RosterSlot.agency_id.in_(bindparam("agency_ids", expanding=True)))
    .where(RosterSlot.weekday.in_(bindparam("weekdays", expanding=True)))
    .order_by(RosterSlot.id.desc())  # the most recently set slot wins where two overlap
)
_ACTIVE = select(Account).where(Account.id.in_(bindparam("ids", expanding=True)), Account.is_active)


def on_call(session: Session, agency_id: int, at: datetime, tz: ZoneInfo) -> OnCall:
    """Return who is on call for an agency at a moment: overrides first, then the pattern."""
    return on_call_all(session, [agency_id], at, tz)[agency_id]


def on_call_all(
    session: Session, agency_ids: list[int], at: datetime, tz: ZoneInfo
) -> dict[int, OnCall]:
    """Return who is on call for each of several agencies at a moment, in three queries."""
    local = at.astimezone(tz)
    day = local.date()
    # Plain rows, not entities: a case routed to three agencies reads some twenty slots.
    overrides = session.execute(_OVERRIDES, {"agency_ids": agency_ids, "day": day}).all()
    weekdays = [local.weekday(), (local.weekday() - 1) % 7]
    slots = session.execute(_SLOTS, {"agency_ids": agency_ids, "weekdays": weekdays}).all()
    candidates: dict[int, dict[RosterRole, list[int]]] = {
        agency_id: {role: [] for role in RosterRole} for agency_id in agency_ids
    }
    for o in overrides:
        candidates[o.agency_id][o.role].append(o.account_id)
    overridden = {(o.agency_id, o.role) for o in overrides}
    for s in slots:  # an override for a role replaces that role's pattern
        if (s.agency_id, s.role) not in overridden and covers(s.weekday, s.starts, s.ends, local):
            candidates[s.agency_id][s.role].append(s.account_id)
    wanted = {i for roles in candidates.values() for ids in roles.values() for i in ids}
    active = {a.id: a for a in session.scalars(_ACTIVE, {"ids": list(wanted)})}
    found = {}
    for agency_id, roles in candidates.items():
        pick = {  # the first active candidate of each role
            role: next((active[i] for i in ids if i in active), None) for role, ids in roles.items()
        }
        found[agency_id] = OnCall(
            pick[RosterRole.PRIMARY], pick[RosterRole.BACKUP], pick[RosterRole.SUPERVISOR]
        )
    return found


def parse_weekdays(text: str) -> list[int]:
    """Read `mon-fri`, `sat,sun`, `fri-mon` or `all` as weekday numbers (Monday = 0)."""
    days: list[int] = []
    for part in text.lower().replace(" ", "").split(","):
        if part in ("all", "daily"):
            part = "mon-sun"
        first, _, last = part.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise ValueError(f"not a weekday or range: {part!r} (use mon..sun, e.g. mon-fri)")
        start, end = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        days += [(start + i) % 7 for i in range((end - start) % 7 + 1)]
    return sorted(set(days))


def parse_clock(text: str) -> time:
    """Read `08:00`; `24:00` means the midnight at the end of the day."""
    match = re.fullmatch(r"([01]?\d|2[0-4]):([0-5]\d)", text.strip())
    if not match or (match[1] == "24" and match[2] != "00"):
        raise ValueError(f"not a time of day: {text!r} (use HH:MM)")
    return time(int(match[1]) % 24, int(match[2]))


def _span(weekday: int, starts: time, ends: time) -> tuple[int, int]:
    """Return a slot as minutes from Monday 00:00: (start, end), end possibly past the week."""
    begin = starts.hour * 60 + starts.minute
    length = (ends.hour * 60 + ends.minute - begin) % _DAY or _DAY
    return weekday * _DAY + begin, weekday * _DAY + begin + length


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Return whether two spans overlap on the circle of the week."""
    return any(a[0] < b[1] + k and b[0] + k < a[1] for k in (-_WEEK, 0, _WEEK))


def set_slots(
    session: Session,
    agency: Agency,
    weekdays: list[int],
    starts: time,
    ends: time,
    account: Account,
    role: RosterRole,
) -> tuple[int, int]:
    """Put a person on call in a role on those days; return (slots added, slots replaced)."""
    new = [_span(d, starts, ends) for d in weekdays]
    old = session.scalars(
        select(RosterSlot).where(RosterSlot.agency_id == agency.id, RosterSlot.role == role)
    ).all()
    replaced = [
        s.id for s in old if any(_overlaps(_span(s.weekday, s.starts, s.ends), n) for n in new)
    ]
    if replaced:
        session.execute(delete(RosterSlot).where(RosterSlot.id.in_(replaced)))
    for d in weekdays:
        session.add(
            RosterSlot(
                agency_id=agency.id,
                weekday=d,
                starts=starts,
                ends=ends,
                account_id=account.id,
                role=role,
            )
        )
    session.flush()
    return len(weekdays), len(replaced)


def add_override(
    session: Session,
    agency: Agency,
    starts_on: date,
    ends_on: date,
    account: Account,
    role: RosterRole,
) -> RosterOverride:
    """Put a person in a role for whole local days, whatever the weekly pattern says."""
    if ends_on < starts_on:
        raise ValueError("the override ends before it starts")
    override = RosterOverride(
        agency_id=agency.id, starts_on=starts_on, ends_on=ends_on, account_id=account.id, role=role
    )
    session.add(override)
    session.flush()
    return override


def seed_demo_rosters(session: Session) -> int:
    """Roster every agency that has no slots 24/7: its staff as primary, backup, supervisor."""
    added = 0
    rostered = set(session.scalars(select(RosterSlot.agency_id).distinct()))
    for agency in session.scalars(select(Agency).order_by(Agency.id)):
        if agency.id in rostered:
            continue
        staff = session.scalars(
            select(Account)
            .where(Account.agency_id == agency.id, Account.role == Role.STAFF, Account.is_active)
            .order_by(Account.id)
        ).all()
        for account, role in zip(staff, RosterRole, strict=False):
            added += set_slots(session, agency, list(range(7)), time(0), time(0), account, role)[0]
    return added
