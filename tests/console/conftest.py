"""Fixtures of the console tests: the API tests' world, with console passwords, and sign-in."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from console import passwords
from core.db import db
from tests.api.conftest import World, world  # noqa: F401  (the same people and cases)

PASSWORD = "kata-sandi-uji-1"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """scrypt at a test cost: the stored form keeps its parameters, so nothing else changes."""
    monkeypatch.setattr(passwords, "N", 2**8)
    monkeypatch.setattr(passwords, "P", 1)


@pytest.fixture
def people(world: World) -> World:  # noqa: F811
    """The world with a console password on every account."""
    for account in world.accounts.values():
        account.password_hash = passwords.hash_password(PASSWORD)
    db.session.commit()
    return world


def csrf(client: FlaskClient, path: str = "/console/login") -> str:
    """Open a console page and return the CSRF token its forms carry."""
    page = client.get(path)
    found = _TOKEN.search(page.get_data(as_text=True))
    assert found, f"no form on {path} ({page.status_code})"
    return found[1]


def sign_in(client: FlaskClient, account_id: int, password: str = PASSWORD) -> object:
    token = csrf(client)
    return client.post(
        "/console/login",
        data={"account": str(account_id), "password": password, "csrf_token": token},
    )


@pytest.fixture
def as_role(app, people: World) -> Callable[[str], FlaskClient]:
    """A test client signed in as a role of the world ('none': signed in as nobody)."""

    def make(role: str) -> FlaskClient:
        client = app.test_client()
        if role != "none":
            response = sign_in(client, people.accounts[role].id)
            assert response.status_code == 302, role
        return client

    return make


def post(client: FlaskClient, path: str, data: dict | None = None, page: str = "/console/"):
    """Post a console form with this session's CSRF token."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf(client, page)})
