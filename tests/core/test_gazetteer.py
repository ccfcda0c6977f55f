"""The gazetteer loads the deployment's provinces, or the country, and loading twice is a no-op."""

import pytest
from alembic import command
from sqlalchemy.orm import Session

from core.cli import alembic_config
from core.db import make_engine
from core.gazetteer import count_by_level, load_regions


def test_province_72_counts_and_idempotence(runner):
    result = runner.invoke(args=["regions", "load"])
    assert result.exit_code == 0, result.output
    assert "0 added" in result.output  # the suite's database already holds province 72
    from core.db import db

    assert count_by_level(db.session, "72") == {
        "regency": 13,
        "district": 175,
        "village": 2017,
    }


@pytest.mark.slow
def test_whole_country(fresh_db_url):
    command.upgrade(alembic_config(fresh_db_url), "head")
    engine = make_engine(fresh_db_url)
    with Session(engine) as session:
        assert load_regions(session, {"72"}) == (1 + 13 + 175 + 2017, 0)
        session.commit()
        added, updated = load_regions(session, None)
        session.commit()
        assert (added, updated) == (38 + 514 + 7277 + 83763 - 2206, 0)
        assert count_by_level(session)["village"] == 83763
        assert load_regions(session, None) == (0, 0)
    engine.dispose()
