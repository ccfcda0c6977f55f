"""Fixtures for the abuse tests: a seeded deployment, a frozen clock, apps with small limits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from cases.routing import seed_default_rules
from core import clock
from core.crypto import lookup_hash
from core.db import db
from core.demo import seed_demo
from models import InboundMessage
from tests.signing import Phone, Poster

#: 09:00 WITA: every test starts on the hour, so its clock-hour windows are predictable.
START = datetime(2025, 3, 10, 1, 0, tzinfo=UTC)
#: Not a report: triage answers it with the service's introduction.
CHATTER = "halo"
#: Free text that triage marks darurat, with no command word.
DANGER = "Tolong!! ibu di sebelah rumah sy di desa Kotarindau sedang dipukuli suaminya pakai kayu"


def seed() -> None:
    """Demo agencies, staff, a coordinator and the routing rules."""
    seed_demo(db.session)
    seed_default_rules(db.session)
    db.session.commit()


@pytest.fixture
def seeded(app: Flask) -> None:
    seed()
    clock.freeze(START)


@pytest.fixture
def limited_poster(app: Flask, make_app: Callable[..., Flask]) -> Iterator[Callable[..., Poster]]:
    """Build a poster for an app with some limits changed, inside its app context."""
    contexts = []

    def make(**limits: object) -> Poster:
        other = make_app(**limits)
        context = other.app_context()
        context.push()
        contexts.append(context)
        seed()
        clock.freeze(START)
        return Poster(other.test_client())

    yield make
    for context in reversed(contexts):
        context.pop()


def rows_of(phone: Phone) -> list[InboundMessage]:
    """The messages stored from a phone, oldest first."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(InboundMessage)
            .where(InboundMessage.sender_hash == lookup_hash(phone.number))
            .order_by(InboundMessage.id)
        )
    )
