"""How long an agency has to act on a case: one table, easy to change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.deployment import DEFAULT_ZONE
from models import Category, Priority


@dataclass(frozen=True)
class Within:
    """A span of clock time, or a number of working days (Monday to Friday, local time)."""

    span: timedelta = timedelta(0)
    working_days: int = 0


#: Acknowledgement deadline (SLA) per priority.
ACK_WITHIN: dict[str, Within] = {
    Priority.DARURAT: Within(span=timedelta(minutes=15)),
    Priority.TINGGI: Within(span=timedelta(hours=6)),
    Priority.BIASA: Within(working_days=3),
}

#: Sexual violence must be reported to the police within 3x24 hours (UU TPKS, Law 12/2022
#: art. 41); other categories have no such deadline.
POLICE_REPORT_WITHIN: dict[str, timedelta] = {Category.KEKERASAN_SEKSUAL: timedelta(hours=72)}

_SATURDAY = 5


def zone(name: str) -> tzinfo:
    """Return a time zone by name; WITA has no daylight saving, so a fixed +08:00 stands in."""
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        # A machine without tzdata still knows WITA: it has been UTC+8 since 1932.
        if name == DEFAULT_ZONE:
            return timezone(timedelta(hours=8), "WITA")
        raise


def add_working_days(start: datetime, days: int, tz: tzinfo) -> datetime:
    """Add working days in local time; a weekend start counts from Monday 00:00."""
    local = start.astimezone(tz)
    if local.weekday() >= _SATURDAY:
        monday = local.date() + timedelta(days=7 - local.weekday())
        local = datetime.combine(monday, time(0), tzinfo=tz)
    for _ in range(days):
        local += timedelta(days=1)
        while local.weekday() >= _SATURDAY:
            local += timedelta(days=1)
    return local.astimezone(start.tzinfo)


def ack_due(priority: str, opened_at: datetime, zone_name: str = DEFAULT_ZONE) -> datetime:
    """Return when a case of this priority must have been acknowledged."""
    within = ACK_WITHIN[priority]
    due = opened_at + within.span
    if within.working_days:
        due = add_working_days(due, within.working_days, zone(zone_name))
    return due


def police_report_due(category: str, opened_at: datetime) -> datetime | None:
    """Return when the police must have been told, for categories where the law says so."""
    within = POLICE_REPORT_WITHIN.get(category)
    return None if within is None else opened_at + within
