"""Real servers on 127.0.0.1 for tests that need processes: gunicorn with the app."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.signing import TEST_AUTH_TOKEN

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA_KEY = "c2lnYXAgdGVzdCBrZXk7IG5ldmVyIHByb2R1Y3Rpb24="


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def app_env(db_url: str, **extra: str) -> dict[str, str]:
    """The environment a server process of the test app runs with."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SIGAP_"))}
    env.update(
        DATABASE_URL=db_url,
        SECRET_KEY="test-secret",
        SIGAP_DATA_KEY=TEST_DATA_KEY,
        TWILIO_AUTH_TOKEN=TEST_AUTH_TOKEN,
        SIGAP_PROVINCES="72",
    )
    env.update(extra)
    return env


@contextmanager
def gunicorn(db_url: str, workers: int = 4, **extra_env: str) -> Iterator[str]:
    """Run the app under gunicorn (sync workers) and yield its base URL; stop it after."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=app_env(db_url, **extra_env),
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, process)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_healthy(base: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)  # polling a starting process, not waiting for time to pass
    raise RuntimeError("gunicorn did not become healthy")
