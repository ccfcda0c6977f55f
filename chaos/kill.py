"""Scenario `kill`: `kill -9` of the interpretation worker and of gunicorn workers during a
burst, and of the scheduler mid-drain.

A burst of 2,000 reports goes to gunicorn (3 sync workers) while the interpretation worker
(`flask worker`) is killed every few seconds wherever it is, and started again, and a random
gunicorn worker is killed every few seconds too (gunicorn starts another; the sender retries
a dropped request, as a provider may). At the same time the scheduler process drains the
outbox of the alerts the burst creates (the worker sends each reply itself), to a Twilio
stand-in on 127.0.0.1 (chaos/fake_twilio.py) that remembers every
message it accepted and drops the answer to a few, so some outcomes are unknown. The
scheduler is killed at a random moment of its first drain and started again at once; the
new one waits out the dead one's lease (12 s here, SIGAP_SCHEDULER_LEASE_SECONDS; 60 s by
default), takes over, and is itself killed mid-drain. Then
the jobs run with time moved past the stale-claim period and the inbound sweep delay (the
stand-in answers everything from then on: it cannot follow a moved clock).

Every message answered 200 must be stored once and processed, none interpreted twice (no
message filed as two reports, one reply row per answered message); every outbound row
(replies and alerts) must end sent (none left pending or sending), and the stand-in must
have accepted each exactly once: an accepted message whose sid no row holds was sent twice.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from chaos import procs
from chaos.common import (
    PY,
    ROOT,
    TWILIO_OUTBOUND,
    Gunicorn,
    RunResult,
    Workspace,
    free_port,
    inbound_result,
    make_reports,
    now,
    post_all,
    sign,
    sweep,
    wait_port,
)

MESSAGES = 2000
RESEND = 0.03
WORKERS = 3
CONCURRENCY = 6
#: Seconds between worker kills, drawn uniformly. A new worker's first message builds the
#: triage rules (about 4 s here) inside its write transaction, stalling all intake on
#: SQLite meanwhile: kills closer together than that would measure only the stall.
WORKER_KILL_GAP = (4.0, 8.0)
MAX_WORKER_KILLS = 8
#: Seconds between kills of the interpretation worker, drawn uniformly.
INTERPRETER_KILL_GAP = (2.0, 5.0)
MAX_INTERPRETER_KILLS = 25
#: Share of accepted outbound messages whose answer the stand-in drops.
DROP_ANSWER = 0.05
BUDGET_SECONDS = 600
#: The scheduler's lease: a successor takes over this long after a kill, not a minute.
LEASE_SECONDS = 12
_FOUND = re.compile(r"found (\d+)")


class Scheduler:
    """The `flask scheduler` process, started, killed and started again."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.starts = 0
        self.exits = 0  # exits of its own accord, each followed by a restart
        self.kills = 0
        self.closed = False
        self.process = self._start()

    def _start(self) -> subprocess.Popen:
        self.starts += 1
        log = self.ws.dir / f"scheduler-{self.starts}.log"
        return procs.start([PY, "-m", "flask", "--app", "wsgi", "scheduler"], self.ws.env, log)

    @property
    def log(self) -> str:
        path = self.ws.dir / f"scheduler-{self.starts}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def kill_and_restart(self, restart: bool = True) -> None:
        procs.stop(self.process, signal.SIGKILL)
        self.kills += 1
        if restart:
            self.process = self._start()

    def keep_running(self) -> None:
        """Start it again if it exited, as a supervisor would; count such exits."""
        if self.process.poll() is not None and not self.closed:
            self.exits += 1
            self.process = self._start()


def _posts(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _wait(predicate: Callable[[], bool], deadline: float, step: float = 0.1) -> bool:
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)  # polling another process
    return False


def _kill_scheduler_twice(sched: Scheduler, posts: Path, rng: random.Random, stop: float) -> None:
    """Kill the scheduler during its first drain, restart it, kill the successor mid-drain."""

    def sending_since(seen: int) -> bool:
        sched.keep_running()
        return len(_posts(posts)) > seen

    def leading() -> bool:
        sched.keep_running()
        return "scheduler leading" in sched.log

    for restart in (True, False):
        # A drain has begun when the stand-in receives a message from this process.
        seen = len(_posts(posts))
        if not _wait(lambda seen=seen: sending_since(seen), stop):
            return
        # The first dies early in its drain; the successor after draining a while.
        time.sleep(rng.uniform(0.0, 2.0) if restart else rng.uniform(2.0, 8.0))
        sched.kill_and_restart(restart=restart)
        if restart and not _wait(leading, stop, 0.5):
            return  # the successor never took the lease: reported by the caller


def _kill_workers(server: Gunicorn, rng: random.Random, done: threading.Event) -> list[int]:
    killed = []
    while len(killed) < MAX_WORKER_KILLS and not done.wait(rng.uniform(*WORKER_KILL_GAP)):
        pid = server.kill_worker(rng)
        if pid:
            killed.append(pid)
    return killed


def _kill_interpreter(server: Gunicorn, rng: random.Random, done: threading.Event) -> int:
    kills = 0
    while kills < MAX_INTERPRETER_KILLS and not done.wait(rng.uniform(*INTERPRETER_KILL_GAP)):
        server.worker.kill_and_restart()
        kills += 1
    return kills


def run(root: Path, index: int) -> RunResult:
    """One run; its data and fault moments come from a seed named by its index."""
    deadline = time.monotonic() + BUDGET_SECONDS
    result = RunResult("kill", index)
    rng = random.Random(f"kill-{index}")
    port = free_port()
    ws = Workspace.create(
        root,
        f"kill-{index}",
        **TWILIO_OUTBOUND,
        TWILIO_API_BASE_URL=f"http://127.0.0.1:{port}",
        SIGAP_SCHEDULER_LEASE_SECONDS=str(LEASE_SECONDS),
    )
    posts = ws.dir / "fake-twilio.jsonl"
    fake = [PY, str(ROOT / "chaos" / "fake_twilio.py"), str(port), str(posts)]
    fake += ["--drop-answer", str(DROP_ANSWER), "--seed", f"kill-{index}"]
    stand_in = procs.start(fake, ws.env, ws.dir / "fake-twilio.log")
    wait_port(port)
    forms, resends = make_reports(rng, MESSAGES, RESEND)
    server = Gunicorn(ws, WORKERS)
    sched = Scheduler(ws)
    done = threading.Event()
    worker_kills: list[int] = []
    interpreter_kills: list[int] = []
    worker_rng, scheduler_rng = random.Random(rng.random()), random.Random(rng.random())
    interpreter_rng = random.Random(rng.random())

    def kill_workers() -> None:
        worker_kills.extend(_kill_workers(server, worker_rng, done))

    def kill_interpreter() -> None:
        interpreter_kills.append(_kill_interpreter(server, interpreter_rng, done))

    def kill_scheduler() -> None:
        _kill_scheduler_twice(sched, posts, scheduler_rng, deadline - 60)

    killers = [
        threading.Thread(target=f, daemon=True)
        for f in (kill_workers, kill_interpreter, kill_scheduler)
    ]
    for killer in killers:
        killer.start()
    try:
        hooks = sign(server.base, forms)
        tally = post_all(server.base, hooks, CONCURRENCY, retries=3, deadline=deadline - 90)
        done.set()
        for killer in killers:
            killer.join(max(0.0, deadline - 60 - time.monotonic()) + 5)
    finally:
        done.set()
        server.stop()
        sched.closed = True
        procs.stop(sched.process, signal.SIGKILL)
    # Rows written by the jobs below carry the moved clock, which the stand-in's own clock
    # cannot match when the outbox looks a message up: lost answers stop here.
    os.kill(stand_in.pid, signal.SIGUSR1)
    # Past the stale-claim period (5 min) and the inbound sweep delay (5 min).
    counts = sweep(ws, now() + timedelta(minutes=6), deadline, outbox=True)
    inbound_result(result, tally, {h.sid for h in hooks}, ws)
    _outbox_result(result, ws, _posts(posts), counts["outbox"])
    once = ws.inspect("interpretations")
    result.duplicates += once["reports_twice"]
    result.check(once["reports_twice"] == 0, f"{once['reports_twice']} messages filed twice")
    result.check(
        once["replies"] == once["answered"],
        f"{once['replies']} reply rows for {once['answered']} answered messages",
    )
    logs = "".join(p.read_text(errors="replace") for p in ws.dir.glob("*.log"))
    result.extra.update(
        {
            "resends": resends,
            "worker kills": len(worker_kills),
            "interpretation worker kills": sum(interpreter_kills),
            "replies": once["replies"],
            "dropped connections": sum(tally.errors.values()),
            "scheduler kills": sched.kills,
            "scheduler exits at start": sched.exits,
            "spooled": counts["inbound"]["spooled"],
            "found after unknown": sum(int(n) for n in _FOUND.findall(logs)),
        }
    )
    result.check(sched.kills == 2, f"the scheduler was killed {sched.kills} times, not 2")
    result.check(len(worker_kills) > 0, "no worker was killed")
    result.check(sum(interpreter_kills) > 0, "the interpretation worker was never killed")
    return result


def _newer_between(posts: list[dict], held: Counter) -> str:
    """For each message sent twice: how many messages to the same number came in between.

    The outbox looks an unanswered attempt up among the recipient's newest messages before
    sending again; this says how far back the first copy was by then.
    """
    gaps = []
    for i, post in enumerate(posts):
        if post["sid"] in held:
            continue
        key = (post["to"], post["body"])
        first = next(j for j, p in enumerate(posts) if (p["to"], p["body"]) == key)
        if first == i:  # the orphan is the first copy: find the later one a row holds
            later = [j for j, p in enumerate(posts) if j > i and (p["to"], p["body"]) == key]
            first, i = i, later[0] if later else i
        gaps.append(sum(p["to"] == post["to"] for p in posts[first + 1 : i]))
    return " ".join(map(str, gaps))


def _outbox_result(result: RunResult, ws: Workspace, posts: list[dict], counts: dict) -> None:
    """Every outbound row sent once: compare the rows with what the stand-in accepted."""
    rows = ws.inspect("outbox-rows")
    held = Counter(r["sid"] for r in rows if r["sid"])
    accepted = Counter(p["sid"] for p in posts)
    twice = sum(1 for sid in accepted if sid not in held)
    phantom = sum(1 for sid in held if sid not in accepted)
    statuses = Counter(r["status"] for r in rows)
    result.duplicates += twice
    if twice:
        result.extra["newer to that number before the resend"] = _newer_between(posts, held)
    result.extra.update(
        {
            "outbox rows": len(rows),
            "outbox sent": statuses["sent"],
            "outbox dead": statuses["dead"],
            "accepted by Twilio stand-in": len(posts),
            "answers dropped": sum(p["answer_dropped"] for p in posts),
            "left sending": statuses["sending"],
        }
    )
    result.check(twice == 0, f"{twice} outbound messages reached the stand-in twice")
    result.check(phantom == 0, f"{phantom} rows hold a sid the stand-in never issued")
    result.check(counts["open"] == 0, f"{counts['open']} outbound rows still pending or sending")
    result.check(len(posts) > 0, "no outbound message reached the stand-in")
