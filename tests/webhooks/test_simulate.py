"""`simulate sms` shows what the reporter would receive: the worker's reply, not the TwiML."""

from __future__ import annotations

import pytest

from core.i18n import t
from tests.servers import gunicorn, workers


@pytest.mark.slow
def test_simulate_prints_the_workers_reply(app, db_url, runner):
    with gunicorn(db_url, workers=1) as base, workers(db_url, 1):
        result = runner.invoke(args=["simulate", "sms", "halo", "--url", base])
    assert result.exit_code == 0, result.output
    assert "webhook answered 200" in result.output
    assert f"reply: {t('reply.info')}" in result.output
