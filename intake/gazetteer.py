"""The deployment's gazetteer, built once per process from the region table."""

from __future__ import annotations

import threading

from sqlalchemy import select

from core.db import db
from intake.places import Gazetteer
from models import Region, RegionLevel

_cache: dict[str, Gazetteer] = {}
_lock = threading.Lock()


def current() -> Gazetteer | None:
    """The places loaded into this app's database (None when none are loaded)."""
    key = str(db.session.get_bind().engine.url)
    if key not in _cache:
        with _lock:
            if key not in _cache:
                _cache[key] = _build()
    gazetteer = _cache[key]
    return gazetteer if len(gazetteer) else None


def forget() -> None:
    """Drop the cache, after `regions load` changed what is loaded."""
    _cache.clear()


def _build() -> Gazetteer:
    began = not db.scoped().in_transaction()
    rows = db.session.execute(
        select(Region.code, Region.parent_code, Region.level, Region.name)
    ).all()
    if began:
        # Building takes seconds: never with SQLite's write lock held by a read of our own.
        db.session.commit()
    by_level: dict[str, list[tuple[str, str | None, str]]] = {level: [] for level in RegionLevel}
    for code, parent, level, name in rows:
        by_level[level].append((code, parent, name))
    return Gazetteer.from_rows(
        by_level[RegionLevel.PROVINCE],
        by_level[RegionLevel.REGENCY],
        by_level[RegionLevel.DISTRICT],
        by_level[RegionLevel.VILLAGE],
    )
