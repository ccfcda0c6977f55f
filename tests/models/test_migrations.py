"""The same Alembic migrations build and tear down the schema on SQLite and PostgreSQL."""

from alembic import command
from sqlalchemy import create_engine, inspect

from core.cli import alembic_config
from models import Base


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(fresh_db_url):
    cfg = alembic_config(fresh_db_url)
    command.upgrade(cfg, "head")
    assert _tables(fresh_db_url) == set(Base.metadata.tables)
    command.downgrade(cfg, "base")
    assert _tables(fresh_db_url) == set()
    command.upgrade(cfg, "head")
    assert _tables(fresh_db_url) == set(Base.metadata.tables)


def test_migrations_match_models(fresh_db_url):
    """A model change without its migration is caught here, not in production."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    command.upgrade(alembic_config(fresh_db_url), "head")
    engine = create_engine(fresh_db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []
