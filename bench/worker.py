"""The interpretation worker: reporter-visible latency, a burst, and CPU per message.

    .venv/bin/python bench/worker.py [--rate 20] [--seconds 30] [--burst 5000]
        [--concurrency 16] [--mock] [--json FILE]

Starts gunicorn (2 sync workers) and one `flask worker` on a fresh SQLite file, as
`make run` does, and posts pre-signed webhooks from new senders with texts from the triage
corpus (bench.common.signed_bodies: half SMS, half WhatsApp).

1. Paced: `--rate` messages/s for `--seconds`. A reply's latency is from the moment its
   webhook was due to be sent to the moment the worker handed the reply to the provider
   (the outbox row's sent_at): what a reporter waits for. Console provider; with `--mock`
   also against the Twilio spec mock (tools/twilio-mock, Prism; needs npm).
2. Burst: `--burst` webhooks as fast as `--concurrency` senders can post: acceptance
   latency (p99), replies per message, how long the worker took to drain the backlog, its
   messages/s and its CPU per message (user + system of the worker process while it
   drained, over the messages it interpreted).

All clocks are this machine's wall clock; the figures are only comparable within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text

from bench.common import (
    ROOT,
    _post,
    env_for,
    free_port,
    gunicorn,
    percentile,
    signed_bodies,
    workers,
)
from bench.intake import prepare_database

LATENCY_TARGET_S = 1.0
BURST_P99_TARGET_MS = 500.0
CPU_TARGET_MS = 3.5
#: Account and number the app sends from when aimed at the Twilio spec mock.
TWILIO = {
    "TWILIO_ACCOUNT_SID": "AC" + "be4c0" * 6 + "00",
    "TWILIO_SMS_FROM": "+12025550100",
    "TWILIO_WHATSAPP_FROM": "+12025550188",
    # With Twilio credentials SIGAP wants the public address Twilio calls; webhooks are
    # then signed for it, as Twilio would (the posts still go to the local port).
    "PUBLIC_BASE_URL": "https://sigap.example.org",
}


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def post_timed(base: str, bodies: list, concurrency: int, rate: float | None) -> dict:
    """Post every body; return each one's due wall-clock time and acceptance latency."""
    host, port = base.removeprefix("http://").split(":")
    due_at: dict[int, float] = {}
    accepted: dict[int, float] = {}
    statuses: list[int] = []
    lock = threading.Lock()
    items = iter(enumerate(bodies))
    started = time.time()

    def sender() -> None:
        while True:
            with lock:
                nxt = next(items, None)
            if nxt is None:
                return
            index, (path, body, signature) = nxt
            due = started + index / rate if rate else time.time()
            if due > time.time():
                time.sleep(due - time.time())  # pacing a fixed-rate load
            status = _post(host, int(port), path, body, signature)
            with lock:
                due_at[index], accepted[index] = due, time.time() - due
                statuses.append(status)

    threads = [threading.Thread(target=sender) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"due": due_at, "accepted": accepted, "statuses": statuses, "started": started}


def replies(url: str, first: int, count: int) -> tuple[dict, dict]:
    """Per message index: when each reply was handed to the provider, and when it was stored."""
    engine = create_engine(url)
    sids = {f"SM{i:032x}": i for i in range(first, first + count)}
    sent: dict[int, list[float]] = {}
    stored: dict[int, float] = {}
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT m.provider_message_id, m.received_at, o.sent_at FROM inbound_message m "
                "LEFT JOIN outbox o ON o.idempotency_key = 'reply:' || m.id"
            )
        ).all()
    engine.dispose()
    for sid, received_at, sent_at in rows:
        if sid in sids:
            stored[sids[sid]] = _epoch(received_at)
            stamps = sent.setdefault(sids[sid], [])
            if sent_at is not None:
                stamps.append(_epoch(sent_at))
    return sent, stored


def _epoch(value: object) -> float:
    from datetime import UTC, datetime

    moment = datetime.fromisoformat(str(value))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def wait_drained(url: str, timeout: float) -> float:
    """Wait until no message waits for the worker; return the wall-clock time it happened."""
    engine = create_engine(url)
    deadline = time.time() + timeout
    try:
        while time.time() < deadline:
            with engine.connect() as conn:
                left = conn.execute(
                    text("SELECT count(*) FROM inbound_message WHERE status = 'received'")
                ).scalar_one()
            if not left:
                return time.time()
            time.sleep(0.05)  # polling another process
    finally:
        engine.dispose()
    raise RuntimeError("the worker did not drain the backlog in time")


def worker_started(log: Path, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if log.exists() and "worker" in log.read_text() and "started" in log.read_text():
            return
        time.sleep(0.1)  # polling another process
    raise RuntimeError("the worker did not start")


def warm(base: str, timeout: float = 120) -> None:
    """Wait until the web workers have warmed up: ten quick answers in a row."""
    deadline, quick = time.time() + timeout, 0
    while quick < 10 and time.time() < deadline:
        t0 = time.time()
        with urllib.request.urlopen(f"{base}/healthz", timeout=30) as answer:  # noqa: S310 - loopback
            answer.read()
        quick = quick + 1 if time.time() - t0 < 0.2 else 0


@contextmanager
def service(tmp: str, url: str, name: str, **extra: str):
    """gunicorn and one worker on the database; yields (base URL, worker pid)."""
    env = env_for(url, SIGAP_INSTANCE=tmp, **extra)
    log = Path(tmp) / f"worker-{name}.log"
    with (
        gunicorn("wsgi:app", env, 2, log=Path(tmp) / f"gunicorn-{name}.log") as server,
        workers(env, 1, log=log) as (process,),
    ):
        worker_started(log)
        warm(server.base)
        yield server.base, process.pid


def paced(tmp: str, url: str, args: argparse.Namespace, start: int, name: str, **extra) -> dict:
    count = int(args.rate * args.seconds)
    with service(tmp, url, name, **extra) as (base, _pid):
        bodies = signed_bodies(extra.get("PUBLIC_BASE_URL", base), count, start=start)
        sent = post_timed(base, bodies, args.paced_concurrency, args.rate)
        wait_drained(url, 120)
        time.sleep(1.0)  # the last replies' sends commit just after the messages do
    found, stored = replies(url, start, count)
    waits = [stamps[0] - sent["due"][i - start] for i, stamps in found.items() if stamps]
    inside = [stamps[0] - stored[i] for i, stamps in found.items() if stamps]
    return {
        "messages": count,
        "replies": len(waits),
        "stored_to_sent_p50_s": percentile(inside, 50),
        "p50_s": percentile(waits, 50),
        "p95_s": percentile(waits, 95),
        "p99_s": percentile(waits, 99),
        "statuses_not_200": sum(s != 200 for s in sent["statuses"]),
    }


def burst(tmp: str, url: str, args: argparse.Namespace, start: int) -> dict:
    with service(tmp, url, "burst") as (base, pid):
        bodies = signed_bodies(base, args.burst, start=start)
        time.sleep(0.5)
        cpu0 = cpu_seconds(pid)
        sent = post_timed(base, bodies, args.concurrency, None)
        posted = time.time()
        drained = wait_drained(url, 900)
        time.sleep(1.0)
        cpu = cpu_seconds(pid) - cpu0
    found, _stored = replies(url, start, args.burst)
    accepted = list(sent["accepted"].values())
    once = sum(len(stamps) == 1 for stamps in found.values())
    last_reply = max((s[0] for s in found.values() if s), default=drained)
    drain_s = max(drained, last_reply) - sent["started"]
    return {
        "messages": args.burst,
        "answered_200": sum(s == 200 for s in sent["statuses"]),
        "acceptance_p50_ms": percentile(accepted, 50) * 1000,
        "acceptance_p99_ms": percentile(accepted, 99) * 1000,
        "post_seconds": posted - sent["started"],
        "drain_seconds": drain_s,
        "messages_with_one_reply": once,
        "messages_with_two_or_more": sum(len(s) > 1 for s in found.values()),
        "worker_msgs_per_s": args.burst / drain_s,
        "worker_cpu_ms_per_msg": cpu * 1000 / args.burst,
    }


def mock_url(port: int) -> tuple[str, int] | None:
    """Start tools/twilio-mock; return its URL and pid, or None without npm."""
    try:
        done = subprocess.run(
            [str(ROOT / "tools" / "twilio-mock"), str(port)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    except OSError:
        return None
    if done.returncode != 0:
        print(f"twilio-mock did not start: {done.stderr.strip()[-200:]}")
        return None
    return f"http://127.0.0.1:{port}", int(done.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--paced-concurrency", type=int, default=16)
    parser.add_argument("--burst", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--mock", action="store_true", help="also pace against the spec mock")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    out: dict = {}
    with tempfile.TemporaryDirectory(prefix="sigap-worker-") as tmp:
        url = prepare_database(Path(tmp) / "sigap.db")
        out["paced_console"] = paced(tmp, url, args, 0, "console")
        _print("paced, console provider", out["paced_console"])
        if args.mock:
            started = mock_url(free_port())
            if started:
                base, mock_pid = started
                try:
                    extra = dict(TWILIO, TWILIO_API_BASE_URL=base)
                    out["paced_mock"] = paced(tmp, url, args, 10**6, "mock", **extra)
                    _print("paced, Twilio spec mock", out["paced_mock"])
                finally:
                    os.killpg(mock_pid, 15)
        out["burst"] = burst(tmp, url, args, 2 * 10**6)
        _print("burst", out["burst"])
    verdicts = {
        "latency": out["paced_console"]["p95_s"] < LATENCY_TARGET_S,
        "burst_p99": out["burst"]["acceptance_p99_ms"] < BURST_P99_TARGET_MS,
        "cpu": out["burst"]["worker_cpu_ms_per_msg"] <= CPU_TARGET_MS,
    }
    out["verdicts"] = verdicts
    print("verdicts:", json.dumps(verdicts))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


def _print(title: str, figures: dict) -> None:
    print(f"== {title}")
    for key, value in figures.items():
        shown = f"{value:.3f}" if isinstance(value, float) else value
        print(f"  {key}: {shown}")


if __name__ == "__main__":
    main()
