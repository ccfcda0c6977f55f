"""Fixtures of the facilitator app's tests: a facilitator with a token, and a phone to drive."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from flask import Flask
from sqlalchemy import select

from api import tokens
from cases import acknowledge, find_case, routing
from core import clock
from core.crypto import lookup_hash
from core.db import db
from core.demo import seed_demo
from models import Account, Agency, ApiToken, CaseAgency, Report, Role

#: Sidera, a village of Sigi Biromaru (72.10.01) in Kabupaten Sigi.
SIDERA = "72.10.01.2007"


@dataclass(frozen=True)
class Facilitator:
    account_id: int
    token: str


@pytest.fixture
def browser_context_args(browser_context_args: dict) -> dict:
    """Phones in Sulawesi Tengah keep WITA (UTC+8)."""
    return {**browser_context_args, "timezone_id": "Asia/Makassar", "locale": "id-ID"}


@pytest.fixture
def facilitator(app: Flask) -> Facilitator:
    """Agencies and routing as in the demo, and a facilitator of Sigi Biromaru with a token."""
    seed_demo(db.session)
    routing.seed_default_rules(db.session)
    number = "+6280800000777"
    account = Account(
        role=Role.FACILITATOR,
        name="Fasilitator Uji",
        phone=number,
        phone_hash=lookup_hash(number),
        region_code="72.10.01",
    )
    db.session.add(account)
    db.session.flush()
    token = tokens.issue(db.session, account, clock.now())[1]
    db.session.commit()
    return Facilitator(account.id, token)


def stored(facilitator: Facilitator) -> list[SimpleNamespace]:
    """Return what the server holds of the facilitator's reports, as committed now.

    Every SQLite transaction here takes the write lock, so the look ends before returning.
    """
    db.session.rollback()  # a fresh look, not this thread's earlier snapshot
    try:
        reports = db.session.scalars(
            select(Report).where(Report.facilitator_id == facilitator.account_id)
        ).all()
        return [
            SimpleNamespace(
                text=r.text,
                client_uuid=r.client_uuid,
                captured_at=r.captured_at,
                received_at=r.received_at,
                may_contact=r.may_contact,
                priority=r.priority,
                reference=r.case.reference,
            )
            for r in reports
        ]
    finally:
        db.session.rollback()


def count_stored(facilitator: Facilitator) -> int:
    return len(stored(facilitator))


def revoke_all(facilitator: Facilitator) -> None:
    """Revoke the facilitator's tokens, as a coordinator does when a phone is lost."""
    for row in db.session.scalars(
        select(ApiToken).where(ApiToken.account_id == facilitator.account_id)
    ):
        tokens.revoke(db.session, row.id, clock.now())
    db.session.commit()


def new_token(facilitator: Facilitator) -> str:
    """Issue another token for the facilitator."""
    account = db.session.get(Account, facilitator.account_id)
    token = tokens.issue(db.session, account, clock.now())[1]
    db.session.commit()
    return token


def acknowledge_by_an_agency(reference: str) -> None:
    """Have staff of an agency on the case acknowledge it, as by `OK <ref>`."""
    case = find_case(db.session, reference)
    on_case = db.session.scalars(
        select(CaseAgency).where(CaseAgency.case_id == case.id, CaseAgency.is_active.is_(True))
    ).first()
    staff = db.session.get(Agency, on_case.agency_id).accounts[0]
    assert acknowledge(db.session, case, staff, clock.now())
    db.session.commit()
