"""Fixtures of the case-work tests: demo agencies on 24/7 rosters, default routing, a clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from alerts.rosters import seed_demo_rosters
from cases import Deployment, ReportIn, file_report, routing
from core import clock
from core.crypto import lookup_hash
from core.db import db
from core.demo import seed_demo
from models import Account, Agency, Case, Outbox, Reporter, Role

#: A Tuesday, 09:00 WITA.
T0 = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
SIDERA = "72.10.01.2007"  # a village in Sigi Biromaru, Kabupaten Sigi
BORA = "72.10.01.2003"  # its neighbour, same district
MOENGKO = "72.02.01.1001"  # a village in Kabupaten Poso


def phone(n: int) -> str:
    """An invented number in +62 808 0000 xxxx, a block allocated to no operator."""
    return f"+628080000{n:04d}"


@pytest.fixture
def agencies(app: Flask) -> dict[str, Agency]:
    """Demo agencies and staff on 24/7 rosters, default routing; the clock at T0."""
    clock.freeze(T0)
    seed_demo(db.session)
    seed_demo_rosters(db.session)
    routing.seed_default_rules(db.session)
    db.session.commit()
    return {a.code: a for a in db.session.scalars(select(Agency))}


def staff_of(agency: Agency, n: int = 0) -> Account:
    """The n-th staff account of an agency (the demo gives each three)."""
    return sorted((a for a in agency.accounts if a.role == Role.STAFF), key=lambda a: a.id)[n]


def coordinator() -> Account:
    return db.session.scalars(select(Account).where(Account.role == Role.COORDINATOR)).first()


@pytest.fixture
def file_case(agencies: dict[str, Agency]) -> Callable[..., Case]:
    """File a report (by default a reporter's sexual-violence report in Sidera) and commit."""

    def make(n: int = 1, **overrides: Any) -> Case:
        values: dict[str, Any] = {
            "source": "sms",
            "text": "anak tetangga dilecehkan pamannya",
            "category": "kekerasan_seksual",
            "victim": "anak",
            "priority": "tinggi",
            "region_code": SIDERA,
        }
        values.update(overrides)
        if "reporter_id" not in overrides and values["source"] != "app":
            reporter = Reporter(phone=phone(n), phone_hash=lookup_hash(phone(n)))
            db.session.add(reporter)
            db.session.flush()
            values["reporter_id"] = reporter.id
        case = file_report(db.session, ReportIn(**values), clock.now(), Deployment()).case
        db.session.commit()
        return case

    return make


def outbox_to(account: Account, key_prefix: str = "") -> list[Outbox]:
    """Messages written to an account, optionally only those whose key starts with a prefix."""
    rows = db.session.scalars(
        select(Outbox).where(Outbox.account_id == account.id).order_by(Outbox.id)
    ).all()
    return [r for r in rows if r.idempotency_key.startswith(key_prefix)]
