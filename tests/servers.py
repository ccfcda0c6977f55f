"""Real servers on 127.0.0.1 for tests that need processes: the app under gunicorn.

The benchmarks' helpers start it; tests only give it the suite's keys and database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bench.common import env_for, free_port
from bench.common import gunicorn as _gunicorn
from bench.common import workers as _workers
from tests.signing import TEST_AUTH_TOKEN, TEST_DATA_KEY

__all__ = ["app_env", "free_port", "gunicorn", "workers"]


def app_env(db_url: str, **extra: str) -> dict[str, str]:
    """The environment a server process of the test app runs with."""
    keys = {"SIGAP_DATA_KEY": TEST_DATA_KEY, "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN}
    return env_for(db_url, **{**keys, **extra})


@contextmanager
def gunicorn(db_url: str, workers: int = 4, **extra_env: str) -> Iterator[str]:
    """Run the app under gunicorn (sync workers) and yield its base URL; stop it after."""
    with _gunicorn("wsgi:app", app_env(db_url, **extra_env), workers) as server:
        yield server.base


@contextmanager
def workers(db_url: str, count: int = 1, **extra_env: str) -> Iterator[None]:
    """Run `count` interpretation workers on the suite's database; stop them after."""
    with _workers(app_env(db_url, **extra_env), count):
        yield
