"""Tokens: only the hash is kept; unknown, expired, revoked tokens and inactive accounts fail."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from api import tokens
from core import clock
from core.db import db
from models import ApiToken
from tests.api.conftest import T0


def test_only_the_hash_is_stored(world):
    row, token = tokens.issue(db.session, world.accounts["staff_a"], T0)
    assert token.startswith(tokens.PREFIX)
    assert len(token) > 40
    stored = db.session.scalar(select(ApiToken).where(ApiToken.id == row.id))
    assert stored.token_hash == tokens.token_hash(token) != token
    assert token not in repr(stored.__dict__)


def test_a_valid_token_identifies_its_account(call, world):
    response = call("staff_a", "get", "/api/v1/cases")
    assert response.status_code == 200


def test_missing_or_malformed_header_is_401(client, world):
    for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "}):
        response = client.get("/api/v1/cases", headers=headers)
        assert response.status_code == 401
        assert response.json["error"]["code"] == "unauthorized"


def test_unknown_token_is_401(client, world):
    response = client.get("/api/v1/cases", headers={"Authorization": "Bearer sigap_nope"})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_token"


def test_expired_token_is_401(client, world):
    _row, token = tokens.issue(db.session, world.accounts["staff_a"], T0, days=1)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    clock.advance(timedelta(days=1))
    response = client.get("/api/v1/cases", headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "token_expired"


def test_revoked_token_is_401(client, world):
    row, token = tokens.issue(db.session, world.accounts["staff_a"], T0)
    tokens.revoke(db.session, row.id, T0)
    db.session.commit()
    response = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "token_revoked"


def test_token_of_an_inactive_account_is_401(call, world):
    world.accounts["staff_a"].is_active = False
    db.session.commit()
    response = call("staff_a", "get", "/api/v1/cases")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "account_inactive"


def test_revoking_twice_keeps_the_first_time(world):
    row, _ = tokens.issue(db.session, world.accounts["staff_a"], T0)
    tokens.revoke(db.session, row.id, T0)
    tokens.revoke(db.session, row.id, T0 + timedelta(hours=1))
    assert row.revoked_at == T0
    assert tokens.revoke(db.session, 999_999, T0) is None
