"""pytest plugin: Twilio's REST API spec served by tools/twilio-mock for the session.

tests/conftest.py lists "tests.twilio_mock" in `pytest_plugins`; tests then ask for `twilio_mock`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "twilio-mock"
SMSGATE_SCRIPT = SCRIPT.with_name("smsgate-mock")
# Prism's line for a request the spec refuses (it then answers 422).
REJECTED = "Request did not pass the validation rules"
# The first run installs Prism from the npm registry.
START_TIMEOUT = 300


@dataclass
class TwilioMock:
    """A running mock: where it listens and what it logged."""

    base_url: str
    log_path: Path
    pid: int
    #: Requests a test sent wrong on purpose; any other rejection fails the whole suite.
    expected_rejections: int = 0

    def expect_rejection(self) -> None:
        """Declare that the next request is meant to be refused by the spec."""
        self.expected_rejections += 1

    def log_lines(self, since: int = 0) -> list[str]:
        """Return the mock's log lines, from line number `since` on."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return text.splitlines()[since:]

    def mark(self) -> int:
        """Return the current end of the log, to read only what a test caused."""
        return len(self.log_lines())

    def rejected_count(self, since: int = 0) -> int:
        """Return how many requests failed the spec's validation since `since`."""
        return sum(REJECTED in line for line in self.log_lines(since))

    def requests_to(self, path: str, since: int = 0) -> int:
        """Return how many requests for `path` the mock received since `since`."""
        return sum(
            "[HTTP SERVER]" in line and f" {path} " in line for line in self.log_lines(since)
        )


def _free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(pid: int) -> None:
    """Stop the mock's process group and wait briefly for it to go."""
    # The script starts Prism with setsid, so its PID is also its process group.
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.killpg(pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def twilio_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwilioMock]:
    """Start tools/twilio-mock on a free port for the session and stop it afterwards."""
    yield from _serve(SCRIPT, "Twilio", tmp_path_factory)


@pytest.fixture(scope="session")
def smsgate_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwilioMock]:
    """Start tools/smsgate-mock (the SMSGate phone's API spec) for the session."""
    yield from _serve(SMSGATE_SCRIPT, "SMSGate", tmp_path_factory)


def _serve(
    script: Path, name: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TwilioMock]:
    """Run a spec mock script on a free port; fail the run on any unexpected rejection."""
    if shutil.which("npm") is None:
        pytest.skip(f"npm is not installed: {script.name} installs Stoplight Prism with it")
    port = _free_port()
    log_path = tmp_path_factory.mktemp(script.name) / "prism.log"
    started = subprocess.run(
        [str(script), str(port)],
        env={**os.environ, "TWILIO_MOCK_LOG": str(log_path), "SMSGATE_MOCK_LOG": str(log_path)},
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
        check=False,
    )
    if started.returncode != 0:
        pytest.fail(f"tools/{script.name} did not start:\n{started.stderr}", pytrace=False)
    pid = int(started.stdout.split()[-1])
    mock = TwilioMock(f"http://127.0.0.1:{port}", log_path, pid)
    try:
        yield mock
        rejected = mock.rejected_count()
    finally:
        _stop(pid)
    if rejected != mock.expected_rejections:
        pytest.fail(
            f"the {name} spec mock refused {rejected} requests in this run, "
            f"{mock.expected_rejections} on purpose",
            pytrace=False,
        )
