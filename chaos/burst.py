"""Scenario `burst`: a burst of webhooks, with provider resends, on a fresh SQLite.

Reports from the triage corpus, from many senders in +62 808, as fast as gunicorn (3 sync
workers) takes them from 8 senders at once; 5% are resent later, some at once, some while
the first copy is still being interpreted. 5,000 messages a run at full size. Every 200 must
be exactly one stored row, and after the jobs every stored message processed.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta
from pathlib import Path

from chaos.common import (
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

#: Messages a run; `make chaos CHAOS_BURST=N` (chaos/run.py --burst-messages) sends N.
MESSAGES = 5000
RESEND = 0.05
WORKERS = 3
CONCURRENCY = 8
BUDGET_SECONDS = 300


def run(root: Path, index: int) -> RunResult:
    """One run; its random draws come from its index, so a run can be repeated."""
    deadline = time.monotonic() + BUDGET_SECONDS
    result = RunResult("burst", index)
    rng = random.Random(f"burst-{index}")
    ws = Workspace.create(root, f"burst-{index}")
    forms, resends = make_reports(rng, MESSAGES, RESEND)
    server = Gunicorn(ws, WORKERS)
    try:
        hooks = sign(server.base, forms)
        tally = post_all(server.base, hooks, CONCURRENCY, deadline=deadline)
    finally:
        server.stop()
    after_burst = ws.inspect("all")["inbound"]
    # Messages a worker could not finish are swept 5 minutes after arrival: move time on.
    counts = sweep(ws, now() + timedelta(minutes=10), deadline, outbox=False)
    inbound_result(result, tally, {h.sid for h in hooks}, ws)
    result.extra.update(
        {
            "resends": resends,
            "req/s": round(tally.requests / tally.seconds),
            "processed in request": after_burst["by_status"].get("processed", 0),
            "spooled": counts["inbound"]["spooled"],
            "resends answered differently": tally.differing_replies(),
            "job runs": counts["job_runs"],
        }
    )
    return result
