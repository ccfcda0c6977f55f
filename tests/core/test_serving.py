"""`make run`'s server, started as `make run` starts it, on a free loopback port.

Each test is bounded: the server gets a minute to come up and is stopped, with everything it
started, when the test ends.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.signing import TEST_AUTH_TOKEN, TEST_DATA_KEY, sign

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
START_SECONDS = 120
#: The acceptance bound for an answer while idle clients hold connections open.
ANSWER_SECONDS = 1.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SIGAP_"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp / 'sigap.db'}",
        SIGAP_INSTANCE=str(tmp),
        SECRET_KEY="serving-test-secret",
        SIGAP_DATA_KEY=TEST_DATA_KEY,
        TWILIO_AUTH_TOKEN=TEST_AUTH_TOKEN,
        SIGAP_BIND=f"127.0.0.1:{port}",
        PUBLIC_BASE_URL="",
        # What `make run` sets when no provider's credentials are given.
        SIGAP_PROVIDER="console",
    )
    return env


@dataclass
class Served:
    port: int
    log: Path

    def request(self, method: str, path: str, body: str | None = None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=ANSWER_SECONDS)
        try:
            conn.request(method, path, body, headers or {})
            answer = conn.getresponse()
            return answer.status, answer.read()
        finally:
            conn.close()

    def webhook(self, text: str, sid: str) -> int:
        path = "/webhooks/twilio/sms"
        form = {
            "MessageSid": sid,
            "AccountSid": "AC" + "0" * 32,
            "From": "+6280800000301",
            "To": "+12025550100",
            "Body": text,
            "NumMedia": "0",
        }
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": sign(f"http://127.0.0.1:{self.port}{path}", form),
        }
        status, _ = self.request("POST", path, urllib.parse.urlencode(form), headers)
        return status


def _wait_until_up(process: subprocess.Popen, port: int, log: Path) -> None:
    """Until /readyz answers 200: the web server, a live worker and a leading scheduler."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"scripts/run exited at start:\n{log.read_text()[-2000:]}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.2)  # polling a process that is starting, not waiting for time
    pytest.fail(f"the service was not ready in {START_SECONDS}s:\n{log.read_text()[-2000:]}")


def _prepared(tmp: Path, port: int) -> dict[str, str]:
    """Migrate and seed as `make run` does; the environment to start scripts/run with."""
    env = _env(tmp, port)
    for step in (["db", "upgrade"], ["seed", "demo"]):
        subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi", *step],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=180,
        )
    return env


@contextlib.contextmanager
def _started(tmp: Path) -> Iterator[tuple[subprocess.Popen, Served]]:
    """scripts/run started as `make run` starts it, ready; stopped afterwards."""
    port = _free_port()
    env = _prepared(tmp, port)
    log = tmp / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(ROOT / "scripts" / "run")],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_up(process, port, log)
        yield process, Served(port, log)
    finally:
        with contextlib.suppress(ProcessLookupError):  # it may have stopped itself
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with _started(tmp_path_factory.mktemp("served")) as (_process, served):
        yield served


def _half_open(port: int) -> socket.socket:
    """A client that starts a webhook request and never finishes it."""
    conn = socket.create_connection(("127.0.0.1", port), timeout=5)
    conn.sendall(
        b"POST /webhooks/twilio/sms HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 900\r\n\r\nBody=to"
    )
    return conn


def test_idle_half_open_clients_do_not_starve_the_server(served):
    # Every worker has answered once before: what is measured is serving, not starting.
    for i in range(4):
        assert served.webhook("halo", f"SM{'a' * 31}{i}") == 200
    idle = [_half_open(served.port) for _ in range(4)]
    try:
        status, body = served.request("GET", "/healthz")
        assert status == 200
        assert b"ok" in body
        assert served.webhook("halo", "SM" + "b" * 32) == 200
    finally:
        for conn in idle:
            conn.close()


def _log_line_for(served: Served, marker: str) -> str:
    """The access-log line of a request whose path holds `marker`, once the server wrote it."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = [line for line in served.log.read_text().splitlines() if marker in line]
        if lines:
            return lines[-1]
        time.sleep(0.1)  # the log is written as the answer goes out
    pytest.fail(f"no access log line for {marker}")


@pytest.mark.parametrize(
    "path", ["/webhooks/twilio/sms", "/webhooks/twilio/whatsapp", "/api/v1/cases", "/healthz"]
)
def test_access_log_never_carries_query_strings(served, path):
    query = urllib.parse.urlencode({"From": "+6280800000302", "Body": "rahasia dipukuli"})
    served.request("GET", f"{path}?{query}")
    line = _log_line_for(served, f"GET {path}")
    assert "6280800000302" not in line
    assert "rahasia" not in line
    assert "dipukuli" not in line
    assert "?" not in line


def _refused_at_start(env: dict[str, str]) -> str:
    """What scripts/run prints when it refuses to start: one line, and a failing status."""
    done = subprocess.run(
        [str(ROOT / "scripts" / "run")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = (done.stdout + done.stderr).strip()
    assert done.returncode != 0
    assert output.count("\n") == 0, output
    return output


def test_a_busy_port_fails_in_one_line(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        output = _refused_at_start(_env(tmp_path, port))
    assert f"127.0.0.1:{port} is already in use" in output
    assert "SIGAP_BIND" in output
    assert "running" not in output


def _reply_to(served: Served, sid: str) -> str | None:
    """The reply the worker queued for a message, read from the service's database."""
    database = sqlite3.connect(f"file:{served.log.parent / 'sigap.db'}?mode=ro", uri=True)
    try:
        row = database.execute(
            "SELECT o.body FROM outbox o JOIN inbound_message m"
            " ON o.idempotency_key = 'reply:' || m.id WHERE m.provider_message_id = ?",
            (sid,),
        ).fetchone()
    finally:
        database.close()
    return None if row is None else row[0]


def test_a_message_to_the_running_service_is_interpreted_and_answered(served):
    sid = "SM" + "c" * 32
    assert served.webhook("tolong ada kdrt di desa Sidera", sid) == 200
    deadline = time.monotonic() + START_SECONDS
    while (reply := _reply_to(served, sid)) is None and time.monotonic() < deadline:
        time.sleep(0.2)  # the worker is another process: polling its result
    assert reply, "the worker queued no reply"


def _child(process: subprocess.Popen, word: str) -> int:
    """The pid of scripts/run's child whose command line holds `word`."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue  # a process that ended while being read
        if parent == process.pid and word.encode() in command:
            return int(stat.parent.name)
    raise AssertionError(f"scripts/run has no {word} process")


def test_a_part_that_ends_stops_the_service_and_says_which(tmp_path):
    with _started(tmp_path) as (process, served):
        os.kill(_child(process, "worker"), signal.SIGKILL)
        assert process.wait(timeout=30) != 0
        log = served.log.read_text()
    assert "sigap: the worker ended (exit 137): stopping the rest" in log
    assert "sigap: stopped" in log


def test_no_provider_for_outbound_messages_fails_in_one_line(tmp_path):
    env = _env(tmp_path, _free_port())
    del env["SIGAP_PROVIDER"]  # a Twilio token but no account: the worker could send nothing
    output = _refused_at_start(env)
    assert "no provider for outbound messages" in output
    assert "running" not in output
