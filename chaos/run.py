"""Fault and load scenarios on 127.0.0.1, each ending with counts of what was lost or doubled.

    .venv/bin/python chaos/run.py [--runs 3] [--scenario NAME ...] [--report PATH]

Scenarios: burst, kill, db-down, db-down-postgresql (only with CHAOS_POSTGRES_URL set),
flaky-twilio (default: all, in that order). Each run works
in its own temporary folder (database, spool, logs), stops every process it started, and
is bounded in time. With every scenario, or with --report, the results are written to
docs/RELIABILITY.md. Exit status 1 when any run found a message lost or sent twice, or
broke another promise it checks.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chaos import burst, db_down, flaky_twilio, kill, procs, report
from chaos.common import ROOT, RunResult

SCENARIOS: dict[str, Callable[[Path, int], RunResult]] = {
    "burst": burst.run,
    "kill": kill.run,
    "db-down": db_down.run,
    "db-down-postgresql": db_down.run_postgresql,
    "flaky-twilio": flaky_twilio.run,
}


def scratch() -> str | None:
    """Where runs work: tmpfs when there is one.

    The scenarios kill processes, not the machine: what a killed process wrote is in the
    page cache either way, so sparing the disk's fsyncs (5 ms each here) loses no fault and
    keeps `make chaos` inside its time budget.
    """
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def run_one(name: str, root: Path, index: int) -> RunResult:
    """Run a scenario once; a crash or a timeout is a failed run, never a silent one."""
    started = time.monotonic()
    try:
        result = SCENARIOS[name](root, index)
    except Exception as exc:
        traceback.print_exc()
        result = RunResult(name, index)
        result.problems.append(f"the run did not finish: {type(exc).__name__}: {exc}")
    finally:
        procs.stop_all()
    result.seconds = round(time.monotonic() - started, 1)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scenario", action="append", choices=list(SCENARIOS))
    parser.add_argument("--report", type=Path, help="write the report here")
    parser.add_argument(
        "--burst-messages", type=int, default=burst.MESSAGES, help="messages per burst run"
    )
    parser.add_argument("--keep", action="store_true", help="keep the run folders (logs, DBs)")
    args = parser.parse_args()
    names = args.scenario or list(SCENARIOS)
    if not os.environ.get(db_down.POSTGRES_VARIABLE):
        if args.scenario and "db-down-postgresql" in args.scenario:
            parser.error(f"db-down-postgresql needs {db_down.POSTGRES_VARIABLE} (a server URL)")
        names = [n for n in names if n != "db-down-postgresql"]
        print(f"db-down-postgresql left out: {db_down.POSTGRES_VARIABLE} is not set", flush=True)
    burst.MESSAGES = args.burst_messages
    target = args.report or (ROOT / "docs" / "RELIABILITY.md" if not args.scenario else None)
    procs.install_handlers()
    root = Path(tempfile.mkdtemp(prefix="sigap-chaos-", dir=scratch()))
    started = time.monotonic()
    results: list[RunResult] = []
    try:
        for name in names:
            for index in range(1, args.runs + 1):
                print(f"== {name} run {index}", flush=True)
                results.append(run_one(name, root, index))
                print(report.line(results[-1]), flush=True)
    finally:
        procs.stop_all()
        (root / "results.json").write_text(json.dumps([asdict(r) for r in results], indent=1))
        if args.keep:
            print(f"run folders kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    total = time.monotonic() - started
    if target is not None:
        report.write(target, results, total, args.runs)
        print(f"report written to {target}")
    failed = [r for r in results if r.problems]
    print(f"{len(results)} runs in {total:.0f} s; {len(failed)} with problems")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
