"""Fixtures of the API tests: demo agencies, one account of each kind, tokens, two cases."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from api import tokens
from cases import Deployment, ReportIn, file_report, routing
from core import clock
from core.crypto import lookup_hash
from core.db import db
from core.demo import seed_demo
from models import Account, Agency, Case, Role

#: A Tuesday, 09:00 WITA.
T0 = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
SIDERA = "72.10.01.2007"  # a village in Kabupaten Sigi
PALU_VILLAGE = "72.71.01.1004"  # a kelurahan in Kota Palu
AGENCY_A = "DP3A-7210"  # serves Kabupaten Sigi, primary for kdrt there
AGENCY_B = "UPTD-PPA-7271"  # serves Kota Palu, primary for kdrt there
ROLES = ("facilitator", "staff_a", "staff_b", "coordinator", "admin", "none")
#: The phones' ids of the fixture's two reports, in Sigi and in Palu.
FIXTURE_UUIDS = ("00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b")


def phone(n: int) -> str:
    """An invented number in +62 808 0000 xxxx, a block allocated to no operator."""
    return f"+628080000{n:04d}"


@dataclass
class World:
    """Who is who: accounts by role name, their tokens, and a case in each area."""

    accounts: dict[str, Account] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    agencies: dict[str, Agency] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)

    def headers(self, role: str) -> dict[str, str]:
        """Return the Authorization header of a role ('none': no header)."""
        if role == "none":
            return {}
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def make_account(role: Role, n: int, **kwargs: Any) -> Account:
    account = Account(role=role, name=f"Uji {n}", phone=phone(n), phone_hash=lookup_hash(phone(n)))
    for key, value in kwargs.items():
        setattr(account, key, value)
    db.session.add(account)
    db.session.flush()
    return account


def file_as(facilitator: Account, region: str, uuid: str, **overrides: Any) -> Case:
    """File a report as a facilitator's phone would, straight through cases."""
    values: dict[str, Any] = {
        "source": "app",
        "text": "tetangga dipukuli suaminya",
        "category": "kdrt",
        "victim": "perempuan",
        "priority": "tinggi",
        "region_code": region,
        "facilitator_id": facilitator.id,
        "client_uuid": uuid,
        "captured_at": T0,
    }
    values.update(overrides)
    return file_report(db.session, ReportIn(**values), clock.now(), Deployment()).case


@pytest.fixture
def world(app: Flask) -> World:
    """Seed agencies, routing, one account per role with a token, a Sigi and a Palu case."""
    clock.freeze(T0)
    seed_demo(db.session)
    routing.seed_default_rules(db.session)
    w = World(agencies={a.code: a for a in db.session.query(Agency)})
    w.accounts = {
        "facilitator": make_account(Role.FACILITATOR, 1, region_code="72.10.01"),
        "other_facilitator": make_account(Role.FACILITATOR, 2, region_code="72.71.01"),
        "staff_a": make_account(Role.STAFF, 3, agency_id=w.agencies[AGENCY_A].id),
        "staff_b": make_account(Role.STAFF, 4, agency_id=w.agencies[AGENCY_B].id),
        "coordinator": make_account(Role.COORDINATOR, 5),
        "admin": make_account(Role.ADMIN, 6),
    }
    for name, account in w.accounts.items():
        w.tokens[name] = tokens.issue(db.session, account, T0)[1]
    w.cases["a"] = file_as(w.accounts["facilitator"], SIDERA, FIXTURE_UUIDS[0])
    w.cases["b"] = file_as(w.accounts["other_facilitator"], PALU_VILLAGE, FIXTURE_UUIDS[1])
    db.session.commit()
    return w


@pytest.fixture
def call(client: FlaskClient, world: World) -> Callable[..., Any]:
    """Call the API as a role: call("staff_a", "get", "/api/v1/cases")."""

    def do(role: str, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**world.headers(role), **kwargs.pop("headers", {})}
        return getattr(client, method)(path, headers=headers, **kwargs)

    return do
