"""Fixtures of the case tests: demo agencies with default routing, reporters, a fixed clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from alerts import notify
from cases import ReportIn, routing
from core import clock
from core.crypto import lookup_hash
from core.db import db
from core.demo import seed_demo
from models import Account, Agency, Reporter, Role

#: A Tuesday, 09:00 WITA.
T0 = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
SIDERA = "72.10.01.2007"  # a village in Sigi Biromaru, Kabupaten Sigi
BORA = "72.10.01.2003"  # its neighbour village
MOENGKO = "72.02.01.1001"  # a village in Kabupaten Poso, which has no regency rules


@dataclass
class Handoffs:
    """What cases told alerts, in order."""

    calls: list[tuple[str, Any]] = field(default_factory=list)

    def of(self, name: str) -> list[Any]:
        return [args for called, args in self.calls if called == name]


@pytest.fixture(autouse=True)
def handoffs(monkeypatch: pytest.MonkeyPatch) -> Handoffs:
    """Record the hand-offs to alerts instead of running them (alerts tests its own side)."""
    seen = Handoffs()
    monkeypatch.setattr(
        notify,
        "case_routed",
        lambda s, case, agencies, now: seen.calls.append(
            ("routed", (case.id, sorted(a.code for a in agencies)))
        ),
    )
    monkeypatch.setattr(
        notify,
        "case_acknowledged",
        lambda s, case, account, now: seen.calls.append(
            ("acknowledged", (case.id, account.id if account else None))
        ),
    )
    monkeypatch.setattr(
        notify, "case_closed", lambda s, case, now: seen.calls.append(("closed", case.id))
    )

    def agency_acknowledged(s: Any, case: Any, account: Any, now: Any) -> bool:
        # As the real one: True once per agency, while its chain runs.
        key = (case.id, account.agency_id)
        first = key not in [(c, a) for c, _, a in seen.of("agency_acknowledged")]
        if first:
            seen.calls.append(("agency_acknowledged", (case.id, account.id, account.agency_id)))
        return first

    monkeypatch.setattr(notify, "agency_acknowledged", agency_acknowledged)
    return seen


@pytest.fixture
def agencies(app: Any) -> dict[str, Agency]:
    """Seed the demo agencies and staff and the default routing; return agencies by code."""
    seed_demo(db.session)
    routing.seed_default_rules(db.session)
    clock.freeze(T0)
    return {a.code: a for a in db.session.query(Agency)}


def staff_of(agency: Agency) -> Account:
    """The first staff account of an agency (the demo gives each three)."""
    return next(a for a in agency.accounts if a.role == Role.STAFF)


def phone(n: int) -> str:
    """An invented number in +62 808 0000 xxxx, a block allocated to no operator."""
    return f"+628080000{n:04d}"


@pytest.fixture
def reporter() -> Callable[..., Reporter]:
    """Make reporters with invented numbers."""

    def make(n: int, language: str = "id") -> Reporter:
        person = Reporter(phone=phone(n), phone_hash=lookup_hash(phone(n)), language=language)
        db.session.add(person)
        db.session.flush()
        return person

    return make


def report_in(**overrides: Any) -> ReportIn:
    """A triaged report with sensible invented values."""
    values: dict[str, Any] = {
        "source": "sms",
        "text": "tetangga dipukuli suaminya",
        "category": "kdrt",
        "victim": "perempuan",
        "priority": "tinggi",
        "region_code": SIDERA,
    }
    values.update(overrides)
    return ReportIn(**values)
