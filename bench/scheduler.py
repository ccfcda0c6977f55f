"""Benchmark the scheduler's work: one escalation tick, and how fast the outbox drains.

    .venv/bin/python bench/scheduler.py [--closed 1000000] [--database-url URL] [--no-mock]

An escalation tick over 1,000 due cases is timed alone, then again with many closed cases
in the archive; the ratio shows whether the tick's cost follows the archive (target < 1.5).
Draining is timed against the console provider and the Twilio spec mock (tools/twilio-mock).
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, insert, select, update  # noqa: E402

from alerts import escalation, outbox  # noqa: E402
from alerts.rosters import seed_demo_rosters  # noqa: E402
from channels import ConsoleProvider, Provider, TwilioProvider  # noqa: E402
from core.app import create_app  # noqa: E402
from core.db import db  # noqa: E402
from core.demo import seed_demo  # noqa: E402
from core.gazetteer import load_regions  # noqa: E402
from models import (  # noqa: E402
    Agency,
    AgencyRole,
    AlertChain,
    Base,
    Case,
    CaseAgency,
    Outbox,
    Purpose,
)

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
OPEN = 1000
BATCH = 20_000
RUNS = 5
WITA = ZoneInfo("Asia/Makassar")


def insert_cases(start: int, count: int, *, closed: bool, agency_ids: list[int]) -> None:
    """Insert cases with their agency and alert chain, in batches through executemany."""
    for first in range(start, start + count, BATCH):
        ids = range(first, min(first + BATCH, start + count))
        opened = NOW - (timedelta(days=30) if closed else timedelta(minutes=20))
        db.session.execute(
            insert(Case),
            [
                {
                    "id": i,
                    "reference": f"B{i:07d}",
                    "status": "selesai" if closed else "baru",
                    "category": "kdrt",
                    "victim": "perempuan",
                    "priority": "darurat",
                    "region_code": "72.10.01.2007",
                    "opened_at": opened,
                    "ack_due_at": opened + timedelta(minutes=15),
                    "acknowledged_at": opened + timedelta(minutes=5) if closed else None,
                    "closed_at": opened + timedelta(days=3) if closed else None,
                    "updated_at": opened,
                }
                for i in ids
            ],
        )
        agency = [agency_ids[i % len(agency_ids)] for i in ids]
        db.session.execute(
            insert(CaseAgency),
            [
                {"case_id": i, "agency_id": a, "role": AgencyRole.PRIMARY, "added_at": opened}
                for i, a in zip(ids, agency, strict=True)
            ],
        )
        db.session.execute(
            insert(AlertChain),
            [
                {
                    "case_id": i,
                    "agency_id": a,
                    "level": 2 if closed else 0,
                    "next_at": None if closed else NOW - timedelta(minutes=5),
                    "started_at": opened,
                    "stopped_at": opened + timedelta(minutes=5) if closed else None,
                    "stop_reason": "acknowledged" if closed else None,
                }
                for i, a in zip(ids, agency, strict=True)
            ],
        )
        db.session.commit()


def time_ticks() -> list[float]:
    """Time RUNS escalation ticks over the open cases, resetting them between runs."""
    times = []
    for _ in range(RUNS):
        db.session.execute(
            update(AlertChain)
            .where(AlertChain.case_id <= OPEN)
            .values(level=0, next_at=NOW - timedelta(minutes=5))
        )
        db.session.execute(delete(Outbox))
        db.session.commit()
        db.session.expunge_all()
        started = time.perf_counter()
        stats = escalation.escalate(db.session, NOW, WITA, limit=OPEN)
        db.session.commit()
        times.append(time.perf_counter() - started)
        assert stats.escalated == OPEN, stats
    return times


def time_drain(provider: Provider, count: int) -> float:
    """Queue `count` messages and return how many a second one worker drains."""
    db.session.execute(delete(Outbox))
    db.session.commit()
    for i in range(count):
        outbox.enqueue(
            db.session,
            key=f"bench:{provider.name}:{i}",
            purpose=Purpose.DIGEST,
            to=f"+62808000{i % 10000:05d}",
            channel="sms",
            body=f"SIGAP ringkasan 07:30 WITA: {i} kasus BIASA belum diterima.",
            now=NOW,
        )
    db.session.commit()
    started = time.perf_counter()
    while outbox.drain(NOW, provider, "bench").claimed:
        pass
    return count / (time.perf_counter() - started)


def start_mock() -> tuple[int, str] | None:
    """Start the Twilio spec mock on a free port; None when it cannot run here."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = Path(tempfile.gettempdir()) / f"sigap-bench-mock-{port}.log"
    started = subprocess.run(
        [str(ROOT / "tools" / "twilio-mock"), str(port)],
        env={**os.environ, "TWILIO_MOCK_LOG": str(log)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if started.returncode != 0:
        print(f"twilio mock did not start: {started.stderr.strip()[:200]}")
        return None
    return int(started.stdout.split()[-1]), f"http://127.0.0.1:{port}"


def bench_drain(messages: int, use_mock: bool) -> None:
    """Print messages/s drained to the console provider and to the Twilio spec mock."""
    console = time_drain(ConsoleProvider(stream=io.StringIO()), messages)
    print(f"drain, console provider: {console:,.0f} messages/s ({messages} messages)")
    mock = start_mock() if use_mock else None
    if mock is None:
        return
    pid, base_url = mock
    twilio = TwilioProvider(
        "AC0000000000000000000000000000be7c",
        "token",
        sms_from="+12025550100",
        api_base_url=base_url,
    )
    try:
        rate = time_drain(twilio, messages // 5)
        print(f"drain, Twilio spec mock: {rate:,.0f} messages/s ({messages // 5} messages)")
    finally:
        twilio.close()
        os.killpg(pid, signal.SIGTERM)


def main() -> None:
    """Build a database, time the escalation tick with and without an archive, time drains."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--closed", type=int, default=1_000_000, help="closed cases to add")
    parser.add_argument("--database-url", help="default: a new SQLite file in a temp dir")
    parser.add_argument("--messages", type=int, default=1000, help="messages to drain")
    parser.add_argument("--no-mock", action="store_true", help="skip the Twilio spec mock")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="sigap-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    os.environ.setdefault("SIGAP_INSTANCE", str(workdir))
    app = create_app({"DATABASE_URL": url, "TWILIO_ACCOUNT_SID": None})
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        Base.metadata.create_all(db.engine)
        load_regions(db.session, {"72"})
        seed_demo(db.session)
        seed_demo_rosters(db.session)
        db.session.commit()
        agency_ids = list(db.session.scalars(select(Agency.id)))
        insert_cases(1, OPEN, closed=False, agency_ids=agency_ids)
        alone = statistics.median(time_ticks())
        print(f"escalation tick, {OPEN} open cases: median {alone * 1000:.0f} ms ({RUNS} runs)")
        started = time.perf_counter()
        insert_cases(OPEN + 1, args.closed, closed=True, agency_ids=agency_ids)
        print(f"inserted {args.closed:,} closed cases in {time.perf_counter() - started:.0f}s")
        archive = statistics.median(time_ticks())
        print(
            f"escalation tick, {OPEN} open + {args.closed:,} closed: median {archive * 1000:.0f} ms"
            f"; ratio {archive / alone:.2f} (target < 1.5)"
        )
        bench_drain(args.messages, not args.no_mock)
    print(f"database: {url}")


if __name__ == "__main__":
    main()
