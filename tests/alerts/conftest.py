"""Fixtures of the alerts tests: demo agencies on a 24/7 roster, cases, a scriptable provider."""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from alerts.rosters import seed_demo_rosters
from channels import Outgoing, SendOutcome, SendResult
from core import clock, jobs
from core.crypto import lookup_hash
from core.db import db
from core.demo import seed_demo
from models import (
    Account,
    Agency,
    AgencyRole,
    Case,
    CaseAgency,
    Report,
    Reporter,
    Role,
)

#: A Wednesday, 10:00 WITA (02:00 UTC).
T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
REPORTER_PHONE = "+6280800009901"
REPORT_TEXT = "tolong tetangga sy Siti di desa Sidera dipukuli suaminya Budi sekarang"


@dataclass
class Team:
    """One demo agency with its rostered staff."""

    agency: Agency
    primary: Account
    backup: Account
    supervisor: Account


@dataclass
class Demo:
    """The demo agencies (by code) and the coordinator."""

    teams: dict[str, Team]
    coordinator: Account


@pytest.fixture
def demo(app: Flask) -> Demo:
    """Seed the demo agencies, their staff on a 24/7 roster, and a coordinator."""
    seed_demo(db.session)
    seed_demo_rosters(db.session)
    db.session.commit()
    teams = {}
    for agency in db.session.query(Agency).order_by(Agency.id):
        staff = sorted(agency.accounts, key=lambda a: a.id)
        teams[agency.code] = Team(agency, *staff)
    coordinator = db.session.query(Account).filter_by(role=Role.COORDINATOR).one()
    return Demo(teams, coordinator)


@pytest.fixture
def make_case(app: Flask) -> Callable[..., Case]:
    """Build a case routed to an agency, with a reporter and a report holding free text."""
    numbers = itertools.count(1)

    def make(
        agency: Agency,
        priority: str = "darurat",
        *,
        category: str = "kdrt",
        region: str = "72.10.01.2007",
        opened_at: datetime | None = None,
        ack_in: timedelta = timedelta(minutes=15),
    ) -> Case:
        n = next(numbers)
        opened = opened_at or clock.now()
        reporter = (
            db.session.query(Reporter).filter_by(phone_hash=lookup_hash(REPORTER_PHONE)).first()
        )
        if reporter is None:
            reporter = Reporter(phone_hash=lookup_hash(REPORTER_PHONE), phone=REPORTER_PHONE)
        case = Case(
            reference=f"K{n:03d}Q{uuid.uuid4().hex[:2].upper()}",
            category=category,
            victim="perempuan",
            priority=priority,
            region_code=region,
            opened_at=opened,
            ack_due_at=opened + ack_in,
        )
        case.agencies.append(CaseAgency(agency_id=agency.id, role=AgencyRole.PRIMARY))
        report = Report(
            source="sms",
            text=REPORT_TEXT,
            category=category,
            victim="perempuan",
            priority=priority,
            region_code=region,
        )
        report.case = case
        db.session.add_all([reporter, case, report])
        db.session.flush()
        report.reporter_id = reporter.id
        db.session.flush()
        return case

    return make


@dataclass
class FakeProvider:
    """A provider that follows a script of results, then accepts everything.

    `accepted` is what reached the phone: every SENT, and UNKNOWN results marked as having
    got through (a read timeout after Twilio took the message).
    """

    script: list[SendResult | tuple[SendResult, bool]] = field(default_factory=list)
    fault: Callable[[Outgoing], SendResult | None] | None = None
    name: str = "fake"
    requests: list[Outgoing] = field(default_factory=list)
    accepted: dict[str, Outgoing] = field(default_factory=dict)
    lookups: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, msg: Outgoing) -> SendResult:
        """Return the next scripted result, recording what got through."""
        with self.lock:
            self.requests.append(msg)
            step = self.script.pop(0) if self.script else None
            if step is None and self.fault is not None:
                step = self.fault(msg)
            got_through = True
            if isinstance(step, tuple):
                step, got_through = step
            sid = (step and step.provider_message_id) or f"SM{uuid.uuid4().hex}"
            if step is None or step.outcome == SendOutcome.SENT:
                self.accepted[sid] = msg
                return SendResult(SendOutcome.SENT, sid, None, "accepted")
            if step.outcome == SendOutcome.UNKNOWN and got_through:
                self.accepted[sid] = msg
            return step

    def find_sent(self, msg: Outgoing, since: datetime) -> str | None:
        """Return the id of an accepted message with the same address and text, newest first
        (as Twilio lists them), passing over the ids the caller says are not this one's."""
        with self.lock:
            self.lookups += 1
            for sid, seen in reversed(self.accepted.items()):
                if sid in msg.not_these:
                    continue
                if (seen.to, seen.channel, seen.body) == (msg.to, msg.channel, msg.body):
                    return sid
            return None

    def delivered(self) -> list[tuple[str, str, str]]:
        """Return (channel, to, body) of every message that reached a phone."""
        return [(m.channel, m.to, m.body) for m in self.accepted.values()]


@pytest.fixture
def provider() -> FakeProvider:
    return FakeProvider()


@pytest.fixture
def frozen(app: Flask) -> datetime:
    """Freeze the clock at T0."""
    clock.freeze(T0)
    return T0


@pytest.fixture
def registry() -> Iterator[None]:
    """Let a test register jobs of its own and restore the real ones afterwards."""
    saved = dict(jobs._registry)
    yield
    jobs._registry.clear()
    jobs._registry.update(saved)
