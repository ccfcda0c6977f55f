"""Load the Kemendagri gazetteer shipped in data/wilayah into the region table."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import ROOT
from core.db import table_of
from models import Region, RegionLevel

DATA_DIR = ROOT / "data" / "wilayah"
_FILES = (
    ("provinces.csv", RegionLevel.PROVINCE, None),
    ("regencies.csv", RegionLevel.REGENCY, "province_code"),
    ("districts.csv", RegionLevel.DISTRICT, "regency_code"),
    ("villages.csv", RegionLevel.VILLAGE, "district_code"),
)
BATCH = 5000
#: The regions table for bulk inserts (Core, not the unit of work).
_REGIONS = table_of(Region)


def read_rows(
    provinces: set[str] | None, data_dir: Path = DATA_DIR
) -> Iterator[tuple[str, str | None, RegionLevel, str]]:
    """Yield (code, parent_code, level, name) for the given provinces, or all when None."""
    for filename, level, parent_column in _FILES:
        with (data_dir / filename).open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                code = row["code"]
                if provinces is None or code.split(".")[0] in provinces:
                    parent = row[parent_column] if parent_column else None
                    yield code, parent, level, row["name"].strip()


def load_regions(
    session: Session,
    provinces: set[str] | None,
    progress: Callable[[int], None] = lambda _n: None,
) -> tuple[int, int]:
    """Insert missing regions and correct changed names; return (added, updated)."""
    existing = dict(session.execute(select(Region.code, Region.name)).all())
    added = updated = 0
    pending: list[dict[str, str | None]] = []
    for code, parent, level, name in read_rows(provinces):
        if code not in existing:
            pending.append({"code": code, "parent_code": parent, "level": level, "name": name})
            added += 1
        elif existing[code] != name:
            session.get_one(Region, code).name = name
            updated += 1
        if len(pending) >= BATCH:
            session.execute(_REGIONS.insert(), pending)
            progress(len(pending))
            pending = []
    if pending:
        session.execute(_REGIONS.insert(), pending)
        progress(len(pending))
    session.flush()
    return added, updated


def count_by_level(session: Session, province: str | None = None) -> dict[str, int]:
    """Count loaded regions per level, optionally inside one province."""
    from sqlalchemy import func

    query = select(Region.level, func.count()).group_by(Region.level)
    if province:
        query = query.where(Region.code.like(f"{province}.%"))
    return {str(level): n for level, n in session.execute(query).all()}


class RegionRow(NamedTuple):
    """A region as plain data, safe to keep between requests."""

    code: str
    parent_code: str | None
    level: RegionLevel
    name: str


_rows: dict[tuple[str, str], RegionRow] = {}


def region_row(session: Session, code: str) -> RegionRow | None:
    """Look a region up once per process: the gazetteer changes only by `regions load`.

    A process running while places are renamed keeps the old names until it restarts; codes
    are never reused, so what a code means does not change under it.
    """
    key = (str(session.get_bind().engine.url), code)
    if key in _rows:
        return _rows[key]
    region = session.get(Region, code)
    if region is None:
        return None  # not kept: the province may be loaded a moment later
    _rows[key] = RegionRow(region.code, region.parent_code, region.level, region.name)
    return _rows[key]
