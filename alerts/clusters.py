"""Cluster alerts: several reports of one category in one district within a few days.

Thresholds per category are in clusters.toml. The coordinators are told once per cluster,
with the references only: while an alert for a category and district is younger than the
window, more reports there do not alert again.
"""

from __future__ import annotations

import functools
import tomllib
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts import notices
from alerts.messages import category_label, fit, places
from models import Case, CaseStatus, Category, ClusterAlert, Purpose

_FILE = Path(__file__).with_name("clusters.toml")


@functools.cache
def thresholds() -> dict[str, tuple[int, timedelta]]:
    """Category to (reports, window) from the data file."""
    data = tomllib.loads(_FILE.read_text(encoding="utf-8"))
    return {k: (int(v["reports"]), timedelta(days=int(v["days"]))) for k, v in data.items()}


def district_of(region_code: str) -> str | None:
    """The district (kecamatan) code of a place, or None when only a regency is known."""
    parts = region_code.split(".")
    return ".".join(parts[:3]) if len(parts) >= 3 else None


def check_clusters(session: Session, now: datetime) -> int:
    """Alert the coordinators of each new cluster; return how many clusters were alerted."""
    limits = thresholds()
    if not limits:
        return 0
    longest = max(window for _, window in limits.values())
    rows = session.execute(
        select(Case.reference, Case.category, Case.region_code, Case.opened_at)
        .where(Case.opened_at > now - longest, Case.opened_at <= now)
        .where(Case.category.in_(list(limits)), Case.status != CaseStatus.DITOLAK)
        .order_by(Case.opened_at)
    ).all()
    groups: dict[tuple[Category, str], list[str]] = defaultdict(list)
    for reference, category, region_code, opened_at in rows:
        district = district_of(region_code)
        if district and opened_at > now - limits[category][1]:
            groups[(category, district)].append(reference)
    alerted = 0
    for (category, district), refs in sorted(groups.items()):
        count, window = limits[category]
        if len(refs) >= count and not _alerted_since(session, category, district, now - window):
            _alert(session, category, district, refs, window, now)
            alerted += 1
    session.flush()
    return alerted


def _alerted_since(session: Session, category: str, district: str, since: datetime) -> bool:
    found = session.scalar(
        select(ClusterAlert.id).where(
            ClusterAlert.category == category,
            ClusterAlert.district_code == district,
            ClusterAlert.alerted_at > since,
        )
    )
    return found is not None


def _alert(
    session: Session,
    category: str,
    district: str,
    refs: list[str],
    window: timedelta,
    now: datetime,
) -> None:
    cluster = ClusterAlert(
        category=category, district_code=district, alerted_at=now, references=refs
    )
    session.add(cluster)
    session.flush()
    body = fit(
        "alert.cluster",
        places(session, district),
        count=len(refs),
        category=category_label(category),
        days=window.days,
        refs=" ".join(refs),
    )
    notices.tell(
        session,
        notices.coordinators(session),
        key=f"cluster:{cluster.id}",
        body=body,
        purpose=Purpose.NOTICE,
        now=now,
    )
