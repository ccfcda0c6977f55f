"""What the scenarios share: a throwaway instance, gunicorn, signed reports, jobs, counts."""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import URL, create_engine, text
from sqlalchemy.exc import ProgrammingError
from twilio.request_validator import RequestValidator

from bench.common import ROOT, TOKEN, corpus_texts, env_for, free_port
from chaos import procs

PY = sys.executable
#: Account and numbers the app sends from when a scenario aims it at a Twilio stand-in.
ACCOUNT_SID = "AC" + "c4a05" * 6 + "00"
TWILIO_OUTBOUND = {
    "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
    "TWILIO_SMS_FROM": "+12025550100",
    "TWILIO_WHATSAPP_FROM": "+12025550188",
    # Twilio credentials need the address Twilio calls; each web server replaces it with its own.
    "PUBLIC_BASE_URL": "http://127.0.0.1",
}
#: Short messages people also send: keywords, greetings, an unknown reference.
_JOB_LINE = re.compile(r"^([a-z][\w.-]*): (.*)$")
SHORT_TEXTS = ("BANTUAN", "halo", "LAPOR", "STATUS ABCD", "help", "tolong", "P", "BATAL")


class Deadline(Exception):
    """A scenario run went past its time budget."""


@dataclass
class Workspace:
    """One run's instance folder, SQLite database, environment and logs."""

    dir: Path
    env: dict[str, str]

    @classmethod
    def create(cls, root: Path, name: str, url: str | None = None, **extra: str) -> Workspace:
        """A fresh folder with a migrated, seeded database, as `make run` prepares one.

        The database is a SQLite file in the folder unless `url` names an empty one.
        """
        folder = root / name
        folder.mkdir(parents=True)
        url = url or f"sqlite:///{folder / 'sigap.db'}"
        env = env_for(url, SIGAP_INSTANCE=str(folder), PYTHONUNBUFFERED="1", **extra)
        ws = cls(folder, env)
        for args in (["db", "upgrade"], ["seed", "demo"]):
            status, out = ws.flask(*args, timeout=120)
            if status != 0:
                raise RuntimeError(f"flask {' '.join(args)} failed: {out[-500:]}")
        return ws

    @property
    def log(self) -> Path:
        return self.dir / "commands.log"

    @property
    def spool(self) -> Path:
        return self.dir / "spool"

    def spooled(self) -> list[Path]:
        """Spooled webhooks waiting for the replay job."""
        return sorted(self.spool.glob("*.msg")) if self.spool.exists() else []

    def flask(self, *args: str, timeout: float = 120) -> tuple[int, str]:
        """Run `flask --app wsgi ARGS` against this instance."""
        return procs.run([PY, "-m", "flask", "--app", "wsgi", *args], self.env, self.log, timeout)

    def run_due(self, at: datetime) -> dict[str, str]:
        """`flask jobs run-due --now AT`; return each job's summary line."""
        status, out = self.flask("jobs", "run-due", "--now", at.isoformat(), timeout=120)
        if status != 0:
            raise RuntimeError(f"jobs run-due failed: {out[-500:]}")
        return dict(m.groups() for m in map(_JOB_LINE.match, out.splitlines()) if m)

    def inspect(self, what: str) -> dict:
        """Counts read from the database by chaos/inspect_db.py."""
        status, out = procs.run(
            [PY, str(ROOT / "chaos" / "inspect_db.py"), what], self.env, self.log, 120
        )
        if status != 0:
            raise RuntimeError(f"inspect {what} failed: {out[-500:]}")
        return json.loads(out.strip().splitlines()[-1])


def drop_postgres_database(admin: URL | str, name: str) -> None:
    """Drop a PostgreSQL database, waiting out an autovacuum worker that is on it.

    FORCE ends the other sessions, but not a worker of the server's own superuser, which
    a large load can start (a non-superuser may not end it); it ends by itself in moments.
    """
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        for attempt in range(100):
            try:
                with engine.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                return
            except ProgrammingError:
                if attempt == 99:
                    raise
                time.sleep(0.1)  # the server's own worker, not ours
    finally:
        engine.dispose()


def now() -> datetime:
    return datetime.now(UTC)


# --- gunicorn --------------------------------------------------------------------------


class Worker:
    """The interpretation worker (`flask worker`), started beside gunicorn as scripts/run does."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.starts = 0
        self.kills = 0
        self.process = self._start()

    def _start(self) -> subprocess.Popen:
        self.starts += 1
        log = self.ws.dir / f"worker-{self.starts}.log"
        return procs.start([PY, "-m", "flask", "--app", "wsgi", "worker"], self.ws.env, log)

    def kill_and_restart(self) -> None:
        """SIGKILL the worker wherever it is, and start another, as a supervisor would."""
        procs.stop(self.process, signal.SIGKILL)
        self.kills += 1
        self.process = self._start()

    def stop(self) -> None:
        procs.stop(self.process)


class Gunicorn:
    """gunicorn with sync workers on 127.0.0.1, preloaded as scripts/run starts it, and the
    interpretation worker beside it."""

    def __init__(self, ws: Workspace, workers: int) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        args = [PY, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}"]
        args += ["--workers", str(workers), "--worker-class", "sync", "--preload"]
        args += ["--timeout", "30", "--log-level", "warning", "wsgi:app"]
        env = {**ws.env, "PUBLIC_BASE_URL": self.base}
        self.process = procs.start(args, env, ws.dir / "gunicorn.log")
        self.workers = workers
        self._wait_healthy()
        self.worker = Worker(ws)

    def _wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited at start; see gunicorn.log")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as answer:  # noqa: S310 - loopback
                    if answer.status == 200 and len(self.worker_pids()) == self.workers:
                        return
            except OSError:
                pass
            time.sleep(0.1)  # polling a starting process
        raise RuntimeError("gunicorn did not become healthy")

    def worker_pids(self) -> list[int]:
        """The master's current children."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(p) for p in path.read_text().split()]
        except FileNotFoundError:
            return []

    def kill_worker(self, rng: random.Random) -> int | None:
        """SIGKILL one worker picked at random; gunicorn starts a new one."""
        pids = self.worker_pids()
        if not pids:
            return None
        pid = rng.choice(pids)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return None
        return pid

    def stop(self) -> None:
        procs.stop(self.process)
        self.worker.stop()


# --- reports -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Webhook:
    """One signed POST: which message it carries, where it goes, the signed body."""

    sid: str
    path: str
    body: bytes
    signature: str


def phone(rng: random.Random) -> str:
    """A number in +62 808, a prefix allocated to no operator."""
    return f"+62808{rng.randrange(10**8):08d}"


def make_reports(
    rng: random.Random, n: int, resend: float = 0.0, texts: list[str] | None = None
) -> tuple[list[dict[str, str]], int]:
    """n messages with unique MessageSids from many senders, some resent later.

    Returns the forms in sending order and how many of them are resends.
    """
    texts = texts or corpus_texts()
    senders = [(phone(rng), rng.random() < 0.35) for _ in range(max(20, n // 4))]
    forms = []
    for _ in range(n):
        number, on_whatsapp = rng.choice(senders)
        text = rng.choice(SHORT_TEXTS) if rng.random() < 0.08 else rng.choice(texts)
        forms.append(report_form(rng, number, on_whatsapp, text))
    resends = int(n * resend)
    for _ in range(resends):
        # A provider's retry comes later: sometimes at once (while the first is in
        # flight), sometimes much later.
        i = rng.randrange(n)
        j = min(len(forms), i + (1 if rng.random() < 0.3 else rng.randrange(1, n)))
        forms.insert(j, forms[i])
    return forms, resends


def report_form(rng: random.Random, number: str, on_whatsapp: bool, text: str) -> dict[str, str]:
    """The form Twilio posts for one inbound message."""
    prefix = "whatsapp:" if on_whatsapp else ""
    return {
        "MessageSid": "SM" + rng.randbytes(16).hex(),
        "AccountSid": ACCOUNT_SID,
        "From": prefix + number,
        "To": prefix + "+6280800000001",
        "NumMedia": "0",
        "NumSegments": "1",
        "Body": text,
        "ApiVersion": "2010-04-01",
    }


def sign(base: str, forms: list[dict[str, str]]) -> list[Webhook]:
    """Sign each form for its route as Twilio does (the app's own validator's algorithm)."""
    validator = RequestValidator(TOKEN)
    hooks = []
    for form in forms:
        kind = "whatsapp" if form["From"].startswith("whatsapp:") else "sms"
        path = f"/webhooks/twilio/{kind}"
        signature = validator.compute_signature(base + path, form)
        body = urllib.parse.urlencode(form).encode()
        hooks.append(Webhook(form["MessageSid"], path, body, signature))
    return hooks


# --- load --------------------------------------------------------------------------------


@dataclass
class Tally:
    """What the senders saw: requests, answers by status, and which messages got a 200."""

    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    acked: set[str] = field(default_factory=set)
    unacked: set[str] = field(default_factory=set)  # gave up on these: no 200 ever
    replies: dict[str, set[str]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> int:
        return self.statuses[200]

    def differing_replies(self) -> int:
        """Messages whose copies were answered differently."""
        return sum(len(r) > 1 for r in self.replies.values())


def post_all(
    base: str,
    hooks: list[Webhook],
    concurrency: int,
    *,
    rate: float | None = None,
    retries: int = 0,
    deadline: float,
) -> Tally:
    """POST every webhook (paced to `rate`/s if given); retry failed ones like a provider."""
    tally = Tally()
    lock = threading.Lock()
    items = iter(enumerate(hooks))
    started = time.monotonic()

    def one(hook: Webhook) -> tuple[int, str] | str:
        conn = http.client.HTTPConnection("127.0.0.1", int(base.rsplit(":", 1)[1]), timeout=40)
        try:
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": hook.signature,
            }
            conn.request("POST", hook.path, hook.body, headers)
            answer = conn.getresponse()
            return answer.status, answer.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            return type(exc).__name__
        finally:
            conn.close()

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                nxt = next(items, None)
            if nxt is None:
                return
            index, hook = nxt
            if rate:
                delay = started + index / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)  # pacing the load
            for _attempt in range(retries + 1):
                result = one(hook)
                with lock:
                    tally.requests += 1
                    if isinstance(result, str):
                        tally.errors[result] += 1
                        continue
                    status, text = result
                    tally.statuses[status] += 1
                    if status == 200:
                        tally.acked.add(hook.sid)
                        tally.replies.setdefault(hook.sid, set()).add(text)
                        break
            else:
                with lock:
                    tally.unacked.add(hook.sid)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()) + 45)
    tally.unacked -= tally.acked
    tally.seconds = time.monotonic() - started
    if time.monotonic() > deadline:
        raise Deadline("the burst did not finish in time")
    return tally


# --- jobs ----------------------------------------------------------------------------------


def sweep(ws: Workspace, at: datetime, deadline: float, *, outbox: bool, rounds: int = 12) -> dict:
    """Run the jobs at moved times until nothing inbound (and optionally outbound) is left.

    Returns the last counts read, with `at` (the last moment run) and how many runs it took.
    """
    runs = 0
    while True:
        if time.monotonic() > deadline:
            raise Deadline("the jobs did not finish in time")
        ws.run_due(at)
        ws.flask("worker", "--until-empty", timeout=300)  # what the jobs queued again
        ws.run_due(at)  # and the replies that failed to send at once
        runs += 1
        counts = ws.inspect("all")
        left = counts["inbound"]["due"] + (counts["outbox"]["open"] if outbox else 0)
        if (left == 0 and not ws.spooled()) or runs >= rounds:
            counts.update(at=at.isoformat(), job_runs=runs)
            return counts
        nxt = [counts["inbound"]["next_due"]] + ([counts["outbox"]["next_due"]] if outbox else [])
        due = [datetime.fromisoformat(x) for x in nxt if x]
        # The next moment a job has work, at least one job period on.
        at = max(at + timedelta(seconds=31), min(due, default=at) + timedelta(seconds=1))


def wait_port(port: int, timeout: float = 30) -> None:
    """Wait until something listens on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


# --- results -------------------------------------------------------------------------------


@dataclass
class RunResult:
    """One run's counts; `problems` lists every broken promise, empty when none."""

    scenario: str
    run: int
    seconds: float = 0.0
    messages: int = 0  # distinct messages (MessageSids) sent
    requests: int = 0  # POSTs made, resends and retries included
    got_200: int = 0  # POSTs answered 200
    acked: int = 0  # distinct messages that got at least one 200
    stored: int = 0  # inbound_message rows
    processed: int = 0  # ... of which processed
    duplicates: int = 0  # stored rows beyond one per message, plus outbound sends beyond one
    lost: int = 0  # messages answered 200 that are not stored (or not processed)
    extra: dict[str, object] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def check(self, ok: bool, problem: str) -> None:
        """Record a problem unless `ok`."""
        if not ok:
            self.problems.append(problem)


def inbound_result(result: RunResult, tally: Tally, sent_sids: set[str], ws: Workspace) -> None:
    """Fill the inbound counts and checks shared by every webhook scenario."""
    counts = ws.inspect("all")["inbound"]
    stored_sids = ws.inspect("sids")
    stored = set(stored_sids)
    result.messages, result.requests = len(sent_sids), tally.requests
    result.got_200, result.acked = tally.ok, len(tally.acked)
    result.stored = counts["total"]
    result.processed = counts["by_status"].get("processed", 0)
    result.duplicates += counts["dup_groups"] + (len(stored_sids) - len(stored))
    missing = tally.acked - stored
    unprocessed = counts["total"] - result.processed
    result.lost = len(missing)
    result.extra["failed"] = counts["by_status"].get("failed", 0)
    result.extra["spool left"] = len(ws.spooled())
    result.check(not missing, f"{len(missing)} messages answered 200 are not stored")
    result.check(result.duplicates == 0, f"{result.duplicates} messages stored twice")
    result.check(stored <= sent_sids, f"{len(stored - sent_sids)} stored messages never sent")
    result.check(unprocessed == 0, f"{unprocessed} stored messages not processed")
    result.check(not ws.spooled(), f"{len(ws.spooled())} webhooks left in the spool")
    result.check(
        not tally.statuses.keys() - {200}, f"answers other than 200: {dict(tally.statuses)}"
    )
