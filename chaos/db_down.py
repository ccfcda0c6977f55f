"""Scenario `db-down`: the database takes no writes for a while during a burst.

Another process holds SQLite's write lock (BEGIN IMMEDIATE) for 15-20 seconds, from half a
second to a second and a half into a burst to gunicorn (4 sync workers). Writers give up
after SQLite's busy timeout (5 s) and the webhook spools the verified request instead:
every webhook must still get 200. Then
the replay job runs (time moved on) until the spool is empty, and exactly the messages sent
are stored. The spooled files are then put back, as if the replay had crashed before
deleting them, and replayed again: that second replay must add nothing.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path

from sqlalchemy import URL, create_engine, make_url, text

from chaos import procs
from chaos.common import (
    PY,
    ROOT,
    Gunicorn,
    RunResult,
    Workspace,
    drop_postgres_database,
    free_port,
    inbound_result,
    make_reports,
    now,
    post_all,
    sign,
    sweep,
    wait_port,
)

MESSAGES = 300
RESEND = 0.05
WORKERS = 4
CONCURRENCY = 8
#: When the lock is taken after the burst starts, and how long it is held (seconds).
LOCK_AFTER = (0.5, 1.5)
LOCK_FOR = (15.0, 20.0)
BUDGET_SECONDS = 180
#: The PostgreSQL variant: its messages, and when the line is cut and for how long (s).
PG_MESSAGES = 300
CUT_AFTER = (0.5, 1.0)
CUT_FOR = (6.0, 8.0)
#: Names the PostgreSQL server the variant uses; without it the variant does not run.
POSTGRES_VARIABLE = "CHAOS_POSTGRES_URL"


def _hold_lock(ws: Workspace, after: float, seconds: float, held: list[float]) -> None:
    """Take the write lock `after` seconds from now and keep it `seconds`."""
    time.sleep(after)  # the fault's moment
    log = ws.dir / "lock.log"
    locker = procs.start(
        [PY, str(ROOT / "chaos" / "sqlite_lock.py"), str(ws.dir / "sigap.db"), str(seconds)],
        ws.env,
        log,
    )
    started = time.monotonic()
    while "locked" not in log.read_text() and locker.poll() is None:
        time.sleep(0.05)
    locker.wait(timeout=seconds + 30)
    held.append(time.monotonic() - started)


def run(root: Path, index: int) -> RunResult:
    """One run; its data and fault moments come from a seed named by its index."""
    deadline = time.monotonic() + BUDGET_SECONDS
    result = RunResult("db-down", index)
    rng = random.Random(f"db-down-{index}")
    ws = Workspace.create(root, f"db-down-{index}")
    fault = Fault(partial(_hold_lock, ws), LOCK_AFTER, LOCK_FOR, "lock held s")
    _through_outage(ws, result, rng, fault, MESSAGES, deadline)
    return result


@dataclass(frozen=True)
class Fault:
    """What makes the database unavailable: `make(after, seconds, spans)`, drawn ranges."""

    make: Callable[[float, float, list[float]], None]
    after: tuple[float, float]
    lasting: tuple[float, float]
    label: str


def run_postgresql(root: Path, index: int) -> RunResult:
    """Scenario `db-down-postgresql`: the PostgreSQL server goes away for a while.

    SIGAP reaches PostgreSQL through chaos/tcp_cut.py on 127.0.0.1, which half a second to
    a second into a burst of 300 reports to gunicorn (4 sync workers) drops every open
    connection and then closes each new one at once, for 6-8 seconds, as a server that went
    down does; then it forwards again. Every webhook must still get 200 (spooled when the
    database cannot be reached), the replay job must store exactly the messages sent, and a
    second replay of the same spool files must add nothing. Each run has a database of its
    own, made on the server CHAOS_POSTGRES_URL names (a role that may create databases) and
    dropped after; without that variable the scenario does not run.
    """
    deadline = time.monotonic() + BUDGET_SECONDS
    result = RunResult("db-down-postgresql", index)
    rng = random.Random(f"db-down-postgresql-{index}")
    admin = make_url(os.environ[POSTGRES_VARIABLE])
    name = f"{admin.database}_chaos_{index}"
    _recreate(admin, name)
    port = free_port()
    line = procs.start(
        [PY, str(ROOT / "chaos" / "tcp_cut.py"), str(port), f"{admin.host}:{admin.port or 5432}"],
        {**os.environ},
        root / f"tcp-cut-{index}.log",
    )
    wait_port(port)
    url = admin.set(host="127.0.0.1", port=port, database=name)
    try:
        ws = Workspace.create(
            root, f"db-down-postgresql-{index}", url.render_as_string(hide_password=False)
        )
        fault = Fault(partial(_cut_line, line), CUT_AFTER, CUT_FOR, "line cut s")
        _through_outage(ws, result, rng, fault, PG_MESSAGES, deadline)
    finally:
        procs.stop(line, signal.SIGTERM)
        drop_postgres_database(admin, name)
    return result


def _cut_line(line: subprocess.Popen, after: float, seconds: float, cut: list[float]) -> None:
    """Cut the database's line `after` seconds from now and restore it `seconds` later."""
    time.sleep(after)  # the fault's moment
    line.send_signal(signal.SIGUSR1)
    started = time.monotonic()
    time.sleep(seconds)  # the outage
    line.send_signal(signal.SIGUSR2)
    cut.append(time.monotonic() - started)


def _recreate(admin: URL, name: str) -> None:
    drop_postgres_database(admin, name)
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def _through_outage(
    ws: Workspace,
    result: RunResult,
    rng: random.Random,
    fault: Fault,
    messages: int,
    deadline: float,
) -> None:
    """A burst while `fault` makes the database unavailable; then replay, twice."""
    forms, resends = make_reports(rng, messages, RESEND)
    server = Gunicorn(ws, WORKERS)
    spans: list[float] = []
    outage = threading.Thread(
        target=fault.make,
        args=(rng.uniform(*fault.after), rng.uniform(*fault.lasting), spans),
        daemon=True,
    )
    try:
        hooks = sign(server.base, forms)
        outage.start()
        tally = post_all(server.base, hooks, CONCURRENCY, deadline=deadline - 60)
        outage.join(timeout=40)
    finally:
        server.stop()
    spooled = ws.spooled()
    stored_before = ws.inspect("all")["inbound"]["total"]
    kept = ws.dir / "spool-copy"
    kept.mkdir()
    for path in spooled:
        shutil.copy2(path, kept / path.name)
    at = now() + timedelta(minutes=1)
    while ws.spooled() and time.monotonic() < deadline - 30:
        ws.run_due(at)
        at += timedelta(seconds=31)
    stored_replayed = ws.inspect("all")["inbound"]["total"]
    for path in kept.iterdir():
        shutil.copy2(path, ws.spool / path.name)
    again = ws.run_due(at).get("inbound.replay_spool", "")
    stored_again = ws.inspect("all")["inbound"]["total"]
    counts = sweep(ws, at + timedelta(minutes=10), deadline, outbox=False)
    inbound_result(result, tally, {h.sid for h in hooks}, ws)
    result.duplicates += stored_again - stored_replayed
    result.extra.update(
        {
            "resends": resends,
            "spool files": len(spooled),
            "stored before replay": stored_before,
            "stored after replay": stored_replayed,
            "second replay": again,
            "rows with spooled_at": counts["inbound"]["spooled"],
        }
    )
    result.extra[fault.label] = round(spans[0], 1) if spans else 0
    result.check(bool(spans), "the fault never happened")
    result.check(len(spooled) > 0, "nothing was spooled: the fault did not bite")
    result.check(
        stored_again == stored_replayed,
        f"the second replay added {stored_again - stored_replayed} rows",
    )
