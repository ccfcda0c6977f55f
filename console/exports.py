"""Cases for a period with the SIMFONI-PPA field set, as CSV or XLSX; every export is audited."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.scope import Caller, visible
from cases import timeline
from models import Case, CaseEventKind, Region

#: Columns in the order SIMFONI-PPA's input form asks for them.
COLUMNS = (
    "reference",
    "report_date",
    "incident_date",
    "regency",
    "district",
    "village",
    "category",
    "incident_place",
    "violence_form",
    "victim_age_group",
    "victim_sex",
    "victim_disability",
    "perpetrator_sex",
    "perpetrator_age_group",
    "perpetrator_relationship",
    "services",
    "status",
    "closure_reason",
)


def _value(v: Any) -> str:
    return "" if v is None else str(v)


def rows(
    session: Session, who: Caller, start: datetime, end: datetime, zone: ZoneInfo
) -> list[tuple[Case, dict[str, str]]]:
    """The caller's cases opened in [start, end), each with its SIMFONI row."""
    cases = session.scalars(
        select(Case)
        .where(visible(who), Case.opened_at >= start, Case.opened_at < end)
        .order_by(Case.opened_at, Case.id)
    ).all()
    codes: set[str] = set()
    for c in cases:
        parts = c.region_code.split(".")
        codes.update(".".join(parts[:i]) for i in (2, 3, 4) if len(parts) >= i)
    names = dict(
        session.execute(
            select(Region.code, Region.name).where(Region.code.in_(sorted(codes)))
        ).all()
    )
    out = []
    for c in cases:
        parts = c.region_code.split(".")

        def name(level: int, parts: list[str] = parts) -> str:
            return names.get(".".join(parts[:level]), "") if len(parts) >= level else ""

        disability = {True: "ya", False: "tidak", None: ""}[c.victim_has_disability]
        out.append(
            (
                c,
                {
                    "reference": c.reference,
                    "report_date": c.opened_at.astimezone(zone).date().isoformat(),
                    "incident_date": c.incident_on.isoformat() if c.incident_on else "",
                    "regency": name(2),
                    "district": name(3),
                    "village": name(4),
                    "category": c.category,
                    "incident_place": _value(c.incident_place),
                    "violence_form": _value(c.violence_form),
                    "victim_age_group": _value(c.victim_age_group),
                    "victim_sex": _value(c.victim_sex),
                    "victim_disability": disability,
                    "perpetrator_sex": _value(c.perpetrator_sex),
                    "perpetrator_age_group": _value(c.perpetrator_age_group),
                    "perpetrator_relationship": _value(c.perpetrator_relationship),
                    "services": ";".join(c.services_given or []),
                    "status": c.status.value,
                    "closure_reason": _value(c.closure_reason),
                },
            )
        )
    return out


def audit(
    session: Session,
    who: Caller,
    found: list[Case],
    fmt: str,
    start: datetime,
    end: datetime,
    now: datetime,
) -> None:
    """Write the export into the timeline of every case it carried."""
    for c in found:
        timeline.record(
            session,
            c,
            CaseEventKind.EXPORTED,
            now,
            who.account,
            format=fmt,
            period=f"{start.date().isoformat()}/{end.date().isoformat()}",
        )
    session.flush()


def to_csv(data: list[dict[str, str]], header: Callable[[str], str]) -> bytes:
    """CSV with a BOM, so spreadsheet programs read it as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([header(c) for c in COLUMNS])
    writer.writerows([[row[c] for c in COLUMNS] for row in data])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(data: list[dict[str, str]], header: Callable[[str], str]) -> bytes:
    """An XLSX workbook of one sheet, one case a row."""
    book = Workbook()
    sheet = book.active
    sheet.title = "SIMFONI-PPA"
    sheet.append([header(c) for c in COLUMNS])
    for row in data:
        sheet.append([row[c] for c in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
