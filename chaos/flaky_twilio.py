"""Scenario `flaky-twilio`: Twilio fails for a while, then recovers.

Emergency (darurat) reports arrive by webhook and queue alerts to the on-call officers.
The app sends to Twilio's spec mock (tools/twilio-mock, Stoplight Prism) through
chaos/flaky_proxy.py, which for its first 25 seconds answers 500 or 429, closes the
connection unanswered, or hangs past the client's timeout, without passing the request on.
The jobs run with time moved from one due moment to the next until no alert is left to
send. Every outbound row must end sent, or dead-lettered with its chain escalated, none
left pending or sending, and the mock must have accepted each row's message at most once.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from bench.common import corpus_rows
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
    now,
    phone,
    post_all,
    report_form,
    sign,
    sweep,
    wait_port,
)

REPORTS = 40
FAIL_FOR_SECONDS = 25
BUDGET_SECONDS = 180


def darurat_texts() -> list[str]:
    """The corpus's emergency reports."""
    return [row["text"] for row in corpus_rows() if row.get("priority") == "darurat"]


def start_mock(ws: Workspace) -> str:
    """Start tools/twilio-mock on a free port; return its base URL."""
    port = free_port()
    started = subprocess.run(
        [str(ROOT / "tools" / "twilio-mock"), str(port)],
        env={**os.environ, "TWILIO_MOCK_LOG": str(ws.dir / "prism.log")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if started.returncode != 0:
        raise RuntimeError(f"tools/twilio-mock did not start: {started.stderr[-500:]}")
    procs.adopt(int(started.stdout.split()[-1]))
    return f"http://127.0.0.1:{port}"


def run(root: Path, index: int) -> RunResult:
    """One run; its data and fault draws come from a seed named by its index."""
    deadline = time.monotonic() + BUDGET_SECONDS
    result = RunResult("flaky-twilio", index)
    rng = random.Random(f"flaky-twilio-{index}")
    port = free_port()
    ws = Workspace.create(
        root,
        f"flaky-twilio-{index}",
        **TWILIO_OUTBOUND,
        TWILIO_API_BASE_URL=f"http://127.0.0.1:{port}",
    )
    mock = start_mock(ws)
    log = ws.dir / "proxy.jsonl"
    proxy = [PY, str(ROOT / "chaos" / "flaky_proxy.py"), str(port), mock, str(log)]
    proxy += ["--fail-for", str(FAIL_FOR_SECONDS), "--seed", f"flaky-twilio-{index}"]
    proxy += ["--max-hangs", "1"]
    procs.start(proxy, ws.env, ws.dir / "proxy.log")
    wait_port(port)
    texts = rng.sample(darurat_texts(), REPORTS)
    forms = [report_form(rng, phone(rng), False, text) for text in texts]
    server = Gunicorn(ws, 2)
    try:
        hooks = sign(server.base, forms)
        tally = post_all(server.base, hooks, 4, deadline=deadline - 120)
    finally:
        server.stop()
    counts = sweep(ws, now() + timedelta(seconds=40), deadline, outbox=True, rounds=25)
    inbound_result(result, tally, {h.sid for h in hooks}, ws)
    _outbox_result(result, ws, log, counts)
    return result


def _outbox_result(result: RunResult, ws: Workspace, log: Path, counts: dict) -> None:
    """Each row's message accepted by the mock at most once, and only for rows sent."""
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    posts = [e for e in entries if e["method"] == "POST" and e["path"].endswith("/Messages.json")]
    accepted = Counter((e["to"], e["body"]) for e in posts if e.get("status") == 201)
    rows = ws.inspect("outbox-rows")
    sent_states = {"sent", "delivered", "read"}
    sent = Counter((_address(r), r["body"]) for r in rows if r["status"] in sent_states)
    twice = sum(max(0, n - sent[key]) for key, n in accepted.items() if key in sent)
    unrecorded = sum(n for key, n in accepted.items() if key not in sent)
    never = sum(n - accepted[key] for key, n in sent.items() if accepted[key] < n)
    statuses = Counter(r["status"] for r in rows)
    alerts = [r for r in rows if r["purpose"] in ("alert", "reminder", "escalation")]
    result.duplicates += twice
    result.extra.update(
        {
            "outbox rows": len(rows),
            "alerts": len(alerts),
            "sent": statuses["sent"],
            "dead": statuses["dead"],
            "faults": sum(e["fault"] is not None for e in entries),
            "accepted by mock": sum(accepted.values()),
            "left sending": statuses["sending"],
            "job runs": counts["job_runs"],
        }
    )
    result.check(twice == 0, f"{twice} outbound messages accepted by the mock twice")
    result.check(unrecorded == 0, f"{unrecorded} messages accepted for rows not marked sent")
    result.check(never == 0, f"{never} rows marked sent that the mock never accepted")
    result.check(counts["outbox"]["open"] == 0, "outbound rows still pending or sending")
    result.check(bool(alerts), "no alert was queued")
    result.check(any(e["fault"] for e in entries), "no fault was injected")


def _address(row: dict) -> str:
    return ("whatsapp:" if row["channel"] == "whatsapp" else "") + row["to"]
