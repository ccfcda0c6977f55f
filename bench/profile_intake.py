"""Where a message's time goes: cProfile over the interpretation worker, in one process.

    .venv/bin/python bench/profile_intake.py [--requests 300] [--top 25] [--json FILE]

In one process, without gunicorn: a fresh migrated SQLite file, the same signed corpus
webhooks as bench/intake.py posted through the test client (stored, not interpreted), then
the worker (`webhooks.worker.Worker`, console provider, output discarded) interprets them
and sends each reply: a warm-up, then `--requests` timed without the profiler and as many
again profiled. Prints the worker's rate and CPU per message, the time by package (own
time, summed), and the top functions by cumulative time.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import logging
import os
import pstats
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import RESULTS, ROOT, corpus_texts, env_for, signed_bodies, write_result
from bench.intake import prepare_database

#: The statement that files a case: counted to say how many requests opened one.
NEW_CASE = re.compile(r'\s*INSERT INTO "?cases"? ', re.IGNORECASE)
#: The table a statement reads or writes first, to say where a request's statements go.
TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', re.IGNORECASE)
#: Frames of the test client that drives the requests: not SIGAP's path, left out of the top.
HARNESS = ("bench/", "werkzeug/test.py", "flask/testing.py")
#: The base URL the test client presents, which the signatures must cover.
TEST_BASE = "http://localhost"


def package_of(filename: str, function: str) -> str:
    """Name who owns a profiled function: a project package, a library, or C code."""
    if filename == "~":  # C code: a builtin, or a method of a C extension's type
        if "sqlite3" in function:
            return "sqlite3: commit (disk flush)" if "commit" in function else "sqlite3: SQL (C)"
        if "re.Pattern" in function:
            return "re (C)"
        if "ciphers" in function or "openssl" in function:
            return "cryptography"
        return "builtins (C)"
    path = Path(filename)
    if "site-packages" in path.parts:
        return path.parts[path.parts.index("site-packages") + 1].removesuffix(".py")
    if path.is_relative_to(ROOT / "bench"):
        return "the benchmark's own SQL tally"
    if path.is_relative_to(ROOT):
        return "sigap: " + path.relative_to(ROOT).parts[0].removesuffix(".py")
    return "python stdlib"


def by_package(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Own (not cumulative) time summed per package, largest first, in seconds."""
    totals: dict[str, float] = {}
    for (filename, _, function), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        owner = package_of(filename, function)
        totals[owner] = totals.get(owner, 0.0) + own
    return sorted(totals.items(), key=lambda item: -item[1])


def top_functions(stats: pstats.Stats, top: int) -> list[dict]:
    """The `top` functions by cumulative time, with call counts and own time."""
    rows = []
    for (filename, line, function), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = filename
        if "site-packages" in filename:
            where = filename.split("site-packages/", 1)[1]
        elif filename.startswith(str(ROOT)):
            where = filename[len(str(ROOT)) + 1 :]
        if where.startswith(HARNESS):
            continue
        rows.append(
            {
                "function": f"{where}:{line}({function})" if line else function,
                "calls": calls,
                "own_s": own,
                "cumulative_s": cumulative,
            }
        )
    rows.sort(key=lambda row: -row["cumulative_s"])
    return rows[:top]


class SqlTally:
    """SIGAP's SQL statements by verb, its commits, and each request's statements."""

    def __init__(self) -> None:
        self.verbs: Counter = Counter()
        self.commits = 0
        self.cases = 0
        self.per_request: list[int] = []
        self.heaviest: Counter = Counter()
        self._current: Counter = Counter()

    def statement(self, _conn, _cursor, sql: str, *_args) -> None:
        verb = sql.lstrip().split(None, 1)[0].upper()
        self.verbs[verb] += 1
        table = TABLE.search(sql)
        self._current[f"{verb} {table.group(1)}" if table else verb] += 1
        if NEW_CASE.match(sql):
            self.cases += 1

    def commit(self, _conn) -> None:
        self.commits += 1

    def end_request(self) -> None:
        """Close one request's tally, keeping the statements of the heaviest so far."""
        total = self._current.total()
        if total > self.heaviest.total():
            self.heaviest = self._current
        self.per_request.append(total)
        self._current = Counter()


@contextmanager
def timing_transactions() -> Iterator[list[float]]:
    """Collect how long each transaction of SIGAP's engine lasts, BEGIN to COMMIT, in s.

    On SQLite SIGAP begins with BEGIN IMMEDIATE: this is the time it holds the write
    lock, which the other worker waits for.
    """
    from sqlalchemy import event

    from core.db import db

    spans: list[float] = []
    opened: dict[int, float] = {}

    def begin(conn) -> None:
        opened[id(conn)] = time.perf_counter()

    def end(conn) -> None:
        if (started := opened.pop(id(conn), None)) is not None:
            spans.append(time.perf_counter() - started)

    listeners = (("begin", begin), ("commit", end), ("rollback", end))
    for name, listener in listeners:
        event.listen(db.engine, name, listener)
    try:
        yield spans
    finally:
        for name, listener in listeners:
            event.remove(db.engine, name, listener)


@contextmanager
def counting_sql() -> Iterator[SqlTally]:
    """Tally the SQL of SIGAP's engine while the block runs."""
    from sqlalchemy import event

    from core.db import db

    tally = SqlTally()
    event.listen(db.engine, "before_cursor_execute", tally.statement)
    event.listen(db.engine, "commit", tally.commit)
    try:
        yield tally
    finally:
        event.remove(db.engine, "before_cursor_execute", tally.statement)
        event.remove(db.engine, "commit", tally.commit)


def main() -> None:
    """Build the app on a fresh database, profile the requests, print and optionally save."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--json", action="store_true", help="write bench/results/profile.json")
    parser.add_argument("--dump", type=Path, help="also write the raw profile (pstats) here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sigap-profile-") as tmp:
        url = prepare_database(Path(tmp) / "sigap.db")
        os.environ.update(env_for(url, SIGAP_INSTANCE=tmp))
        # The app logs a line per request, as in production; to a file, not the terminal.
        RESULTS.mkdir(parents=True, exist_ok=True)
        logging.basicConfig(filename=RESULTS / "profile-app.log", level=logging.INFO, force=True)
        from core.app import create_app

        app = create_app()
        client = app.test_client()
        n = args.requests
        bodies = signed_bodies(TEST_BASE, args.warmup + 2 * n, texts=corpus_texts())
        from webhooks.worker import Worker

        quiet = contextlib.redirect_stdout(io.StringIO())  # the console provider's lines
        with app.app_context(), quiet:
            worker = Worker.for_app()
            for path, body, signature in bodies[: args.warmup]:
                _post(client, path, body, signature)
            worker.run_until_empty()
            # First unprofiled, for honest figures: cProfile inflates every Python call.
            for path, body, signature in bodies[args.warmup : args.warmup + n]:
                _post(client, path, body, signature)
            with timing_transactions() as spans:
                cpu0, wall0 = time.process_time(), time.perf_counter()
                worker.run_until_empty()
                wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            for path, body, signature in bodies[args.warmup + n :]:
                _post(client, path, body, signature)
            profiler = cProfile.Profile()
            with counting_sql() as sql:
                profiler.enable()
                for _ in range(n):
                    if not worker.run_once(batch=1):
                        break
                    sql.end_request()
                profiler.disable()
    stats = pstats.Stats(profiler)
    if args.dump:
        stats.dump_stats(str(args.dump))
    result = {
        "requests": n,
        "rps_in_process": n / wall,
        "wall_ms_per_request": wall * 1000 / n,
        "cpu_ms_per_request": cpu * 1000 / n,
        "write_lock_ms_per_request": sum(spans) * 1000 / n,
        "transactions_per_request": len(spans) / n,
        "profiled_s": stats.total_tt,  # type: ignore[attr-defined]
        "sql_per_request": {verb: count / n for verb, count in sorted(sql.verbs.items())},
        "commits_per_request": sql.commits / n,
        "cases_filed_share": sql.cases / n,
        "statements_per_request": {
            "median": statistics.median(sql.per_request),
            "p90": sorted(sql.per_request)[int(0.9 * (n - 1))],
            "max": max(sql.per_request),
        },
        "heaviest_request": sql.heaviest.most_common(),
        "by_package": by_package(stats),
        "top_cumulative": top_functions(stats, args.top),
    }
    show(result)
    if args.json:
        write_result("profile", result)


def _post(client, path: str, body: bytes, signature: str) -> None:
    response = client.post(
        path,
        data=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        },
    )
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code} from {path}")


def show(result: dict) -> None:
    """Print the profile's summary."""
    print(
        f"worker in process, one thread, not profiled: {result['rps_in_process']:.1f} msg/s, "
        f"{result['wall_ms_per_request']:.1f} ms wall and {result['cpu_ms_per_request']:.1f} ms "
        f"CPU per message; then {result['requests']} messages profiled"
    )
    print(
        f"transactions (write lock held, BEGIN IMMEDIATE to COMMIT): "
        f"{result['transactions_per_request']:.1f} per request, "
        f"{result['write_lock_ms_per_request']:.1f} ms per request in all"
    )
    sql = ", ".join(f"{verb} {count:.1f}" for verb, count in result["sql_per_request"].items())
    sql += f"; commits {result['commits_per_request']:.1f}"
    spread = result["statements_per_request"]
    print(f"requests that filed a case: {result['cases_filed_share']:.0%}")
    print(
        f"SQL per request: {sql}; statements per request: median {spread['median']:.0f}, "
        f"p90 {spread['p90']}, max {spread['max']}"
    )
    total = result["profiled_s"]
    print("own time by package:")
    for owner, seconds in result["by_package"][:12]:
        per = seconds * 1000 / result["requests"]
        print(f"  {owner:<40}{per:>8.2f} ms/req {seconds / total:>5.0%}")
    heaviest = ", ".join(f"{what} x{count}" for what, count in result["heaviest_request"])
    print(f"the heaviest request's statements: {heaviest}")
    print(f"top {len(result['top_cumulative'])} functions by cumulative time (ms per request):")
    for row in result["top_cumulative"]:
        per = row["cumulative_s"] * 1000 / result["requests"]
        print(f"  {per:>8.2f} {row['calls']:>8} calls  {row['function']}")


if __name__ == "__main__":
    main()
