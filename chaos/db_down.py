"""Scenario `db-down`: the database takes no writes for a while during a burst.

Another process holds SQLite's write lock (BEGIN IMMEDIATE) for 15-20 seconds in the middle
of a burst to gunicorn (4 sync workers). Writers give up after SQLite's busy timeout (5 s)
and the webhook spools the verified request instead: every webhook must still get 200. Then
the replay job runs (time moved on) until the spool is empty, and exactly the messages sent
are stored. The spooled files are then put back, as if the replay had crashed before
deleting them, and replayed again: that second replay must add nothing.
"""

from __future__ import annotations

import random
import shutil
import threading
import time
from datetime import timedelta
from pathlib import Path

from chaos import procs
from chaos.common import (
    PY,
    ROOT,
    Gunicorn,
    RunResult,
    Workspace,
    inbound_result,
    make_reports,
    now,
    post_all,
    sign,
    sweep,
)

MESSAGES = 300
RESEND = 0.05
WORKERS = 4
CONCURRENCY = 8
#: When the lock is taken after the burst starts, and how long it is held (seconds).
LOCK_AFTER = (3.0, 6.0)
LOCK_FOR = (15.0, 20.0)
BUDGET_SECONDS = 180


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
    forms, resends = make_reports(rng, MESSAGES, RESEND)
    server = Gunicorn(ws, WORKERS)
    held: list[float] = []
    lock = threading.Thread(
        target=_hold_lock,
        args=(ws, rng.uniform(*LOCK_AFTER), rng.uniform(*LOCK_FOR), held),
        daemon=True,
    )
    try:
        hooks = sign(server.base, forms)
        lock.start()
        tally = post_all(server.base, hooks, CONCURRENCY, deadline=deadline - 60)
        lock.join(timeout=40)
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
    again = ws.run_due(at).get("replay-spool", "")
    stored_again = ws.inspect("all")["inbound"]["total"]
    counts = sweep(ws, at + timedelta(minutes=10), deadline, outbox=False)
    inbound_result(result, tally, {h.sid for h in hooks}, ws)
    result.duplicates += stored_again - stored_replayed
    result.extra.update(
        {
            "resends": resends,
            "lock held s": round(held[0], 1) if held else 0,
            "spool files": len(spooled),
            "stored before replay": stored_before,
            "stored after replay": stored_replayed,
            "second replay": again,
            "rows with spooled_at": counts["inbound"]["spooled"],
        }
    )
    result.check(bool(held), "the lock was never held")
    result.check(len(spooled) > 0, "nothing was spooled: the fault did not bite")
    result.check(
        stored_again == stored_replayed,
        f"the second replay added {stored_again - stored_replayed} rows",
    )
    return result
