"""What staff read: alert, digest and summary texts, with nothing that identifies a person.

Every text is built from a case's reference, category, priority, place (the gazetteer's
name) and time only; the catalogue keys are `alert.*` in core/translations. Staff read
Indonesian.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from core.gazetteer import region_row
from core.i18n import GSM_EXTENDED, GSM_SEGMENT, UCS2_SEGMENT, is_gsm7, t
from models import Case, RegionLevel

#: Staff get Indonesian whatever their reporters write in.
STAFF_LANG = "id"
SMS_SEGMENT = GSM_SEGMENT


def sms_units(text: str) -> int:
    """Return the GSM-7 length of a text, or a length over one segment if it needs UCS-2."""
    if not is_gsm7(text):
        return len(text) * SMS_SEGMENT // UCS2_SEGMENT
    return sum(2 if c in GSM_EXTENDED else 1 for c in text)


def local_time(at: datetime, tz: ZoneInfo) -> str:
    """Return a moment as staff read it: `27/11 14:05 WITA`."""
    return at.astimezone(tz).strftime("%d/%m %H:%M %Z")


def _regency_label(name: str) -> str:
    """Return `KABUPATEN SIGI` as `Kab. Sigi` and `KOTA PALU` as `Kota Palu`."""
    words = name.title().split()
    if words and words[0] == "Kabupaten":
        words[0] = "Kab."
    return " ".join(words)


def places(session: Session, region_code: str) -> list[str]:
    """Return a place's names, longest first: `Sidera, Kab. Sigi`, then `Sidera`."""
    region = region_row(session, region_code)
    if region is None:
        return [region_code]
    if region.level in (RegionLevel.PROVINCE, RegionLevel.REGENCY):
        return [_regency_label(region.name)]
    regency = region_row(session, ".".join(region_code.split(".")[:2]))
    short = region.name.strip()
    if regency is None:
        return [short]
    return [f"{short}, {_regency_label(regency.name)}", short]


def category_label(category: str) -> str:
    """Return a category as staff read it."""
    return t(f"alert.category.{category}", STAFF_LANG)


def priority_label(priority: str) -> str:
    """Return a priority as staff read it."""
    return t(f"alert.priority.{priority}", STAFF_LANG)


def fit(key: str, place_names: list[str], **params: object) -> str:
    """Fill a text with the longest place name that keeps it within one SMS segment."""
    text = ""
    for place in place_names:
        text = t(key, STAFF_LANG, place=place, **params)
        if sms_units(text) <= SMS_SEGMENT:
            return text
    return text  # still long: better two segments than a place nobody recognises


def alert_text(session: Session, case: Case, key: str, tz: ZoneInfo, level: int = 0) -> str:
    """Return an alert, reminder or escalation text about a case."""
    return fit(
        key,
        places(session, case.region_code),
        ref=case.reference,
        category=category_label(case.category),
        priority=priority_label(case.priority),
        time=local_time(case.opened_at, tz),
        level=level,
    )


def template_variables(session: Session, case: Case, tz: ZoneInfo) -> dict[str, str]:
    """Return the alert template's variables: reference, category, priority, place, time."""
    return {
        "1": case.reference,
        "2": category_label(case.category),
        "3": priority_label(case.priority),
        "4": places(session, case.region_code)[0],
        "5": local_time(case.opened_at, tz),
    }


def duration(delta: timedelta | None) -> str:
    """Return a duration as `45 mnt` or `3 j 5 mnt`; `-` when unknown."""
    if delta is None:
        return "-"
    minutes = round(delta.total_seconds() / 60)
    if minutes < 60:
        return t("alert.duration.minutes", STAFF_LANG, m=minutes)
    return t("alert.duration.hours", STAFF_LANG, h=minutes // 60, m=minutes % 60)
