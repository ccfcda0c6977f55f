"""Fixtures shared by the whole suite: an app on SQLite or PostgreSQL, a client, a clock."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import text

from chaos.common import drop_postgres_database
from core import clock
from core.app import create_app
from core.db import db
from core.gazetteer import load_regions
from models import Base
from tests.signing import TEST_AUTH_TOKEN, TEST_DATA_KEY, Poster

pytest_plugins = ["tests.twilio_mock", "tests.browser"]


def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """PostgreSQL when TEST_DATABASE_URL names it, else a SQLite file for this run."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'sigap-test.db'}"


def test_config(url: str, **extra: object) -> dict[str, object]:
    """The configuration every test app starts from."""
    config: dict[str, object] = {
        "DATABASE_URL": url,
        "SECRET_KEY": "test-secret",
        "SIGAP_DATA_KEY": TEST_DATA_KEY,
        "TWILIO_ACCOUNT_SID": None,
        "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN,
        "TWILIO_API_BASE_URL": None,
        "PUBLIC_BASE_URL": None,
        "SIGAP_PROVIDER": "console",
        "SIGAP_PROVINCES": "72",
        "TESTING": True,
    }
    config.update(extra)
    return config


@pytest.fixture(scope="session")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Create a fresh schema once per run and load province 72 into it.

    The schema comes from the models (fast, and independent of the migration being current);
    tests/models/test_migrations.py proves the migrations build the very same schema.
    """
    url = database_url(tmp_path_factory)
    app = create_app(test_config(url))
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)
        load_regions(db.session, {"72"})
        db.session.commit()
    return url


@pytest.fixture
def app(db_url: str) -> Iterator[Flask]:
    """An app on the suite's database; every table but the gazetteer is emptied afterwards."""
    app = create_app(test_config(db_url))
    with app.app_context():
        yield app
        db.session.rollback()
        _empty_tables()
        clock.unfreeze()


def _empty_tables() -> None:
    with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name != "region":
                conn.execute(table.delete())


@pytest.fixture
def make_app(db_url: str) -> Callable[..., Flask]:
    """Build another app on the suite's database with some configuration changed."""

    def make(**extra: object) -> Flask:
        return create_app(test_config(db_url, **extra))

    return make


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture
def fresh_db_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the suite's kind, separate from the shared one."""
    if not db_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"{make_url(db_url).database}_fresh"
    admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
    try:
        drop_postgres_database(db_url, name)
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(db_url).set(database=name).render_as_string(hide_password=False)
        drop_postgres_database(db_url, name)
    finally:
        admin.dispose()


@pytest.fixture
def poster(client: FlaskClient) -> Poster:
    """Posts webhooks signed as Twilio signs them."""
    return Poster(client)
