"""Alembic environment: the URL comes from SIGAP's configuration, the schema from models/."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context

import models
from core import config as config_mod
from core.crypto import Encrypted
from core.db import make_engine
from models.base import UTCDateTime

target_metadata = models.Base.metadata


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write project column types as plain SQL types so migrations never import app code."""
    if type_ == "type" and isinstance(obj, Encrypted):
        return "sa.Text()"
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _url() -> str:
    url = context.config.attributes.get("database_url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    return url or config_mod.load()["DATABASE_URL"]


def run_migrations_offline() -> None:
    """Emit SQL without a connection."""
    context.configure(url=_url(), target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against a live connection; SQLite alters tables in batch mode."""
    engine = make_engine(_url(), poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            render_item=_render_item,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
