"""Which agencies a case goes to: rules from (category, victim, priority, region) to agencies.

At the nearest region level (village, then district, regency, province) where any rule
matches, every matching rule applies; an agency named twice keeps its stronger role. Empty
category, victim or priority in a rule matches anything. When no level has a rule, the case
still goes somewhere: to an active UPTD PPA or DP3A of the province. A table that would
leave any case without an agency, or an emergency or sexual violence without the police, is
refused with its gaps listed (coverage_gaps).
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NamedTuple

from sqlalchemy import ColumnElement, bindparam, delete, or_, select
from sqlalchemy.orm import Session

from core.db import affected
from models import Agency, AgencyKind, AgencyRole, Category, Priority, Region, RoutingRule, Victim

CATEGORIES: tuple[str, ...] = tuple(Category)
VICTIMS: tuple[str, ...] = tuple(Victim)
PRIORITIES: tuple[str, ...] = tuple(Priority)

#: The Sulawesi Tengah defaults, in the same format coordinators export and import.
DEFAULTS_FILE = Path(__file__).resolve().parent / "routing_defaults_72.csv"
#: Columns of a routing file; the *_name columns help the reader and are ignored on import.
COLUMNS = ("category", "victim", "priority", "region", "agency", "role")
NAME_COLUMNS = ("region_name", "agency_name")
ANY = "*"
_STRENGTH = {AgencyRole.PRIMARY: 0, AgencyRole.SUPPORTING: 1}
_LAST_RESORT_KINDS = (AgencyKind.UPTD_PPA, AgencyKind.DP3A)


class Routed(NamedTuple):
    """An agency a case goes to, and its part in it."""

    agency: Agency
    role: AgencyRole


def ancestors(region_code: str) -> list[str]:
    """Codes from a region up to its province, nearest first (72.10.01.2007 … 72)."""
    parts = region_code.split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


#: The rules that may apply to a case: built once, run on every case filed.
_RULES = (
    select(RoutingRule.region_code, RoutingRule.role, Agency)
    .join(Agency, Agency.id == RoutingRule.agency_id)
    .where(
        RoutingRule.region_code.in_(bindparam("codes", expanding=True)),
        Agency.is_active.is_(True),
        or_(RoutingRule.category.is_(None), RoutingRule.category == bindparam("category")),
        or_(RoutingRule.victim.is_(None), RoutingRule.victim == bindparam("victim")),
        or_(RoutingRule.priority.is_(None), RoutingRule.priority == bindparam("priority")),
    )
)


def route(
    session: Session, category: str, victim: str, priority: str, region_code: str
) -> list[Routed]:
    """Return the agencies responsible for a case, primary first; empty only with no agency."""
    codes = ancestors(region_code)
    rows = session.execute(
        _RULES, {"codes": codes, "category": category, "victim": victim, "priority": priority}
    ).all()
    for code in codes:
        found = [(role, agency) for rule_code, role, agency in rows if rule_code == code]
        if found:
            return _strongest(found)
    return _last_resort(session, region_code)


def _strongest(found: Iterable[tuple[AgencyRole, Agency]]) -> list[Routed]:
    """Keep each agency once, with its stronger role; primary first, then by code."""
    best: dict[int, Routed] = {}
    for role, agency in found:
        kept = best.get(agency.id)
        if kept is None or _STRENGTH[role] < _STRENGTH[kept.role]:
            best[agency.id] = Routed(agency, role)
    return sorted(best.values(), key=lambda r: (_STRENGTH[r.role], r.agency.code))


def _last_resort(session: Session, region_code: str) -> list[Routed]:
    """Pick one active UPTD PPA or DP3A of the province, the case's own region's first."""
    province = region_code.split(".")[0]
    near = set(ancestors(region_code))
    candidates = session.scalars(
        select(Agency).where(
            Agency.is_active.is_(True),
            Agency.kind.in_(_LAST_RESORT_KINDS),
            or_(Agency.region_code == province, Agency.region_code.startswith(province + ".")),
        )
    ).all()
    if not candidates:
        return []
    best = min(
        candidates,
        key=lambda a: (
            a.region_code not in near,
            -len(a.region_code),
            a.kind != AgencyKind.UPTD_PPA,
            a.code,
        ),
    )
    return [Routed(best, AgencyRole.PRIMARY)]


@dataclass(frozen=True)
class RuleRow:
    """One line of a routing file, checked against the database."""

    line: int
    category: str | None
    victim: str | None
    priority: str | None
    region_code: str
    agency_id: int
    role: AgencyRole


class RoutingFileError(ValueError):
    """A routing file that cannot be loaded; `problems` says where and why, line by line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def export_rules(session: Session, out: IO[str]) -> int:
    """Write every rule as a readable CSV file; return how many."""
    rows = session.execute(
        select(RoutingRule, Agency.code, Agency.name, Region.name)
        .join(Agency, Agency.id == RoutingRule.agency_id)
        .join(Region, Region.code == RoutingRule.region_code)
    ).all()
    lines = [
        (
            rule.category or ANY,
            rule.victim or ANY,
            rule.priority or ANY,
            rule.region_code,
            code,
            rule.role.value,
            region_name,
            agency_name,
        )
        for rule, code, agency_name, region_name in rows
    ]
    # Region, then the broad rules before the narrow ones, primary first: how people read it.
    lines.sort(key=lambda r: (r[3], r[0] != ANY, r[0], r[1], r[2], r[5] != "primary", r[4]))
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS + NAME_COLUMNS)
    writer.writerows(lines)
    return len(lines)


def _dialect(text: str) -> str:
    """Say which delimiter a file uses: Excel in an Indonesian locale writes semicolons."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def parse_rules(session: Session, text: str) -> list[RuleRow]:
    """Read and check a routing file; raise RoutingFileError listing every problem."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=_dialect(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise RoutingFileError([f"line 1: missing column(s) {', '.join(missing)}"])
    agencies = {code: id_ for code, id_ in session.execute(select(Agency.code, Agency.id))}
    regions = set(session.scalars(select(Region.code)))
    rows: list[RuleRow] = []
    problems: list[str] = []
    seen: dict[tuple[object, ...], int] = {}
    for record in reader:
        line = reader.line_num
        row, errors = _check_row(record, line, agencies, regions)
        if row is not None:
            # The same key the database holds unique; priority is not part of it.
            key = (row.category, row.victim, row.region_code, row.agency_id)
            if key in seen:
                errors.append(
                    f"line {line}: same agency, category, victim and region as line {seen[key]}"
                )
            seen.setdefault(key, line)
        problems.extend(errors)
        if row is not None and not errors:
            rows.append(row)
    if problems:
        raise RoutingFileError(problems)
    return rows


def _value(record: dict[str, str | None], column: str) -> str:
    return (record.get(column) or "").strip()


def _choice(
    record: dict[str, str | None],
    column: str,
    allowed: tuple[str, ...],
    line: int,
    errors: list[str],
) -> str | None:
    """Read an optional vocabulary column: empty or * means any."""
    value = _value(record, column).lower()
    if value in ("", ANY):
        return None
    if value not in allowed:
        errors.append(f"line {line}: {column} '{value}' is not one of {', '.join(allowed)} or *")
    return value


def _check_row(
    record: dict[str, str | None], line: int, agencies: dict[str, int], regions: set[str]
) -> tuple[RuleRow | None, list[str]]:
    """Check one line of a routing file against the vocabulary, regions and agencies."""
    errors: list[str] = []
    category = _choice(record, "category", CATEGORIES, line, errors)
    victim = _choice(record, "victim", VICTIMS, line, errors)
    priority = _choice(record, "priority", PRIORITIES, line, errors)
    region = _value(record, "region")
    if region not in regions:
        errors.append(f"line {line}: region '{region}' is not in the gazetteer")
    code = _value(record, "agency").upper()
    if code not in agencies:
        errors.append(f"line {line}: no agency with code '{code}'")
    role = _value(record, "role").lower()
    if role not in {r.value for r in AgencyRole}:
        errors.append(f"line {line}: role '{role}' is not primary or supporting")
    if errors:
        return None, errors
    return RuleRow(line, category, victim, priority, region, agencies[code], AgencyRole(role)), []


def replace_rules(session: Session, rows: list[RuleRow]) -> int:
    """Make these rows the whole routing table; return how many rules were removed."""
    # A bulk delete runs now, before the inserts, so a kept rule never meets its old self
    # in the unique index (the unit of work would insert first and delete after).
    removed = affected(session.execute(delete(RoutingRule)))
    session.add_all(
        RoutingRule(
            category=r.category,
            victim=r.victim,
            priority=r.priority,
            region_code=r.region_code,
            agency_id=r.agency_id,
            role=r.role,
        )
        for r in rows
    )
    session.flush()
    return removed


def import_rules(session: Session, text: str, provinces: Iterable[str]) -> tuple[int, int]:
    """Replace the routing table with a file's rules; return (removed, added).

    A file with any error, or one that leaves a case of the provinces without an agency or
    without the police (RoutingGaps), changes nothing.
    """
    rows = parse_rules(session, text)
    gaps = coverage_gaps(session, rows, provinces)
    if gaps:
        raise RoutingGaps(gaps)
    return replace_rules(session, rows), len(rows)


# --- coverage -------------------------------------------------------------------------------


class RoutingGaps(RoutingFileError):
    """A routing table that would leave cases without an agency or without the police."""


def needs_police(category: str, priority: str) -> bool:
    """Say whether a case must reach a police unit: emergencies and sexual violence."""
    return priority == Priority.DARURAT or category == Category.KEKERASAN_SEKSUAL


def coverage_gaps(session: Session, rows: list[RuleRow], provinces: Iterable[str]) -> list[str]:
    """Return, place by place, the cases these rules would send to no agency or no police.

    Checked for each province, each of its regencies, and each place a rule names: a rule
    for a district is nearer than its regency's and replaces them there. Rules of inactive
    agencies count for nothing, as in route(); the last resort of route() does not count,
    since it takes a service of the province, never the police.
    """
    provinces = list(provinces)
    agencies = {
        agency.id: agency
        for agency in session.scalars(select(Agency).where(Agency.is_active.is_(True)))
    }
    by_region: dict[str, list[RuleRow]] = {}
    for row in rows:
        if row.agency_id in agencies:
            by_region.setdefault(row.region_code, []).append(row)
    names = dict(session.execute(select(Region.code, Region.name).where(_under(provinces))).all())
    places = {code for code in names if code.count(".") <= 1} | set(by_region) & set(names)
    gaps = []
    for place in sorted(places):
        bare, unpoliced = set(), set()
        for case in itertools.product(CATEGORIES, VICTIMS, PRIORITIES):
            found = [agencies[r.agency_id] for r in _nearest_rules(by_region, place, *case)]
            if not found:
                bare.add(case)
            elif needs_police(case[0], case[2]) and not any(
                a.kind == AgencyKind.POLICE_PPA for a in found
            ):
                unpoliced.add(case)
        for what, missing in (("agency", bare), ("police unit", unpoliced)):
            if missing:
                gaps.append(f"{place} {names[place]}: no {what} for {', '.join(_spans(missing))}")
    return gaps


def _under(provinces: list[str]) -> ColumnElement[bool]:
    """The condition that a region is one of these provinces or inside one."""
    return or_(
        *(
            or_(Region.code == p, Region.code.startswith(p + ".", autoescape=True))
            for p in provinces
        )
    )


def _nearest_rules(
    by_region: dict[str, list[RuleRow]], place: str, category: str, victim: str, priority: str
) -> list[RuleRow]:
    """The rules route() would apply to such a case in this place: the nearest level's."""
    for code in ancestors(place):
        found = [
            r
            for r in by_region.get(code, ())
            if r.category in (None, category)
            and r.victim in (None, victim)
            and r.priority in (None, priority)
        ]
        if found:
            return found
    return []


def _spans(missing: set[tuple[str, str, str]]) -> list[str]:
    """Name a set of (category, victim, priority) briefly, * for every value, as files do."""
    spans: list[str] = []
    left = set(missing)

    def take(cases: set[tuple[str, str, str]], label: str) -> None:
        if cases <= missing and cases & left:
            spans.append(label)
            left.difference_update(cases)

    take(set(itertools.product(CATEGORIES, VICTIMS, PRIORITIES)), "*/*/*")
    for p in PRIORITIES:
        take({(c, v, p) for c in CATEGORIES for v in VICTIMS}, f"*/*/{p}")
    for c in CATEGORIES:
        take({(c, v, p) for v in VICTIMS for p in PRIORITIES}, f"{c}/*/*")
        for p in PRIORITIES:
            take({(c, v, p) for v in VICTIMS}, f"{c}/*/{p}")
        for v in VICTIMS:
            take({(c, v, p) for p in PRIORITIES}, f"{c}/{v}/*")
            for p in PRIORITIES:
                take({(c, v, p)}, f"{c}/{v}/{p}")
    return spans


def default_rules(session: Session) -> list[RuleRow]:
    """Read the Sulawesi Tengah defaults, keeping the rules whose agency and region exist."""
    agencies = {code: id_ for code, id_ in session.execute(select(Agency.code, Agency.id))}
    regions = set(session.scalars(select(Region.code)))
    text = DEFAULTS_FILE.read_text(encoding="utf-8")
    rows = []
    for line, record in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        row, _errors = _check_row(record, line, agencies, regions)
        if row is not None:
            rows.append(row)
    return rows


def seed_default_rules(session: Session) -> int:
    """Load the Sulawesi Tengah defaults unless a routing table exists; return rules added."""
    if session.scalar(select(RoutingRule.id).limit(1)) is not None:
        return 0
    rows = default_rules(session)
    replace_rules(session, rows)
    return len(rows)
