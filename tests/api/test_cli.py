"""`accounts` and `tokens` commands: create, list, revoke; a token is printed once only."""

from __future__ import annotations

from sqlalchemy import select

from api import tokens
from core.db import db
from core.demo import seed_demo
from models import Account, ApiToken, Role


def test_create_a_facilitator_and_a_token_that_works(runner, client):
    result = runner.invoke(
        args=[
            "accounts", "create", "--role", "facilitator", "--name", "Uji Fasilitator",
            "--phone", "0808 0000 0042", "--region", "72.10.01",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    account = db.session.scalar(select(Account).where(Account.role == Role.FACILITATOR))
    assert (account.region_code, account.phone) == ("72.10.01", "+6280800000042")
    assert f"account {account.id} created" in result.output
    result = runner.invoke(args=["tokens", "create", str(account.id), "--days", "30"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith(tokens.PREFIX)
    stored = db.session.scalar(select(ApiToken))
    assert stored.token_hash == tokens.token_hash(token)
    assert stored.expires_at is not None
    response = client.get("/api/v1/sync/changes", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_staff_need_an_agency_and_facilitators_a_known_place(runner):
    result = runner.invoke(args=["accounts", "create", "--role", "staff", "--name", "X"])
    assert result.exit_code != 0
    assert "--agency" in result.output
    result = runner.invoke(
        args=["accounts", "create", "--role", "facilitator", "--name", "X", "--region", "99.99"]
    )
    assert result.exit_code != 0
    assert "gazetteer" in result.output
    assert db.session.scalar(select(Account)) is None


def test_staff_account_of_an_agency(runner):
    seed_demo(db.session)
    db.session.commit()
    result = runner.invoke(
        args=["accounts", "create", "--role", "staff", "--name", "Y", "--agency", "dp3a-7210"]
    )
    assert result.exit_code == 0, result.output
    assert "DP3A-7210" in runner.invoke(args=["accounts", "list"]).output


def test_list_masks_numbers_and_never_shows_tokens(runner):
    runner.invoke(
        args=[
            "accounts",
            "create",
            "--role",
            "coordinator",
            "--name",
            "K",
            "--phone",
            "+6280800000077",
        ]
    )
    account_id = db.session.scalar(select(Account.id))
    token = runner.invoke(args=["tokens", "create", str(account_id)]).stdout.strip()
    listing = runner.invoke(args=["accounts", "list"]).output
    assert "+6280800000077" not in listing
    assert "0077" in listing
    token_list = runner.invoke(args=["tokens", "list"]).output
    assert token not in token_list
    assert "active" in token_list


def test_revoke(runner, client):
    runner.invoke(args=["accounts", "create", "--role", "admin", "--name", "A"])
    account_id = db.session.scalar(select(Account.id))
    token = runner.invoke(args=["tokens", "create", str(account_id)]).stdout.strip()
    token_id = db.session.scalar(select(ApiToken.id))
    result = runner.invoke(args=["tokens", "revoke", str(token_id)])
    assert result.exit_code == 0
    assert f"token {token_id} revoked" in result.output
    assert "revoked" in runner.invoke(args=["tokens", "list"]).output
    response = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert runner.invoke(args=["tokens", "revoke", "999999"]).exit_code != 0
