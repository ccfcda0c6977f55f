"""Intake throughput and latency against two baselines, measured in the same run.

    .venv/bin/python bench/intake.py [--rounds 5] [--per-round 300] [--concurrency 8]

Starts three gunicorn servers (sync workers, 2 each) on 127.0.0.1: SIGAP's full intake
path, (a) a bare Flask endpoint returning the same TwiML, and (b) the same plus the
signature check and one committed SQLite insert. Posts pre-signed webhooks with unique
MessageSids (half SMS, half WhatsApp), rounds interleaved so the machine's noise hits all
three alike, and prints medians over rounds: requests/s, p50/p99 latency, server CPU ms
per request, and the ratios SIGAP/(b) and (b)/(a).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    ROOT,
    env_for,
    gunicorn,
    median,
    percentile,
    post_all,
    signed_bodies,
)


def prepare_database(path: Path) -> str:
    """Migrate a fresh SQLite file and load the province, as `make run` does."""
    url = f"sqlite:///{path}"
    for args in (["db", "upgrade"], ["seed", "demo"]):
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=ROOT,
            env=env_for(url),
            check=True,
            capture_output=True,
        )
    return url


def measure(server, bodies, concurrency: int) -> dict:
    """One round against one server."""
    cpu0, t0 = server.cpu_seconds(), time.perf_counter()
    latencies = post_all(server.base, bodies, concurrency)
    wall, cpu = time.perf_counter() - t0, server.cpu_seconds() - cpu0
    return {
        "rps": len(bodies) / wall,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "cpu_ms": cpu * 1000 / len(bodies),
    }


def summarise(rounds: list[dict]) -> dict:
    return {key: median([r[key] for r in rounds]) for key in rounds[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = prepare_database(Path(tmp) / "sigap.db")
        servers = {
            "a_bare": ("bench.baselines:app", env_for(url, BASELINE="bare")),
            "b_minimal": (
                "bench.baselines:app",
                env_for(url, BASELINE="minimal", BASELINE_DB=f"{tmp}/baseline.db"),
            ),
            "sigap": ("wsgi:app", env_for(url, SIGAP_INSTANCE=tmp)),
        }
        results = run_interleaved(servers, args)
    report(results, args)


def run_interleaved(servers: dict, args) -> dict[str, dict]:
    """Rounds over all three servers in turn; medians per server."""
    from contextlib import ExitStack

    with ExitStack() as stack:
        running = {
            name: stack.enter_context(gunicorn(app, env)) for name, (app, env) in servers.items()
        }
        rounds: dict[str, list[dict]] = {name: [] for name in running}
        offset = 0
        for _ in range(args.rounds):
            for name, server in running.items():
                bodies = signed_bodies(server.base, args.per_round, start=offset)
                offset += args.per_round
                rounds[name].append(measure(server, bodies, args.concurrency))
    return {name: summarise(r) for name, r in rounds.items()}


def report(results: dict[str, dict], args) -> None:
    print(
        f"intake: {args.rounds} rounds x {args.per_round} requests, concurrency "
        f"{args.concurrency}, gunicorn sync x2 each; medians over rounds"
    )
    print(f"{'server':<12}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms/req':>12}")
    for name, r in results.items():
        print(
            f"{name:<12}{r['rps']:>9.0f}{r['p50'] * 1000:>9.1f}{r['p99'] * 1000:>9.1f}"
            f"{r['cpu_ms']:>12.2f}"
        )
    ratio_b = results["sigap"]["rps"] / results["b_minimal"]["rps"]
    ratio_a = results["b_minimal"]["rps"] / results["a_bare"]["rps"]
    print(f"sigap / (b) minimal correct intake: {ratio_b:.2f} (target >= 0.80)")
    print(f"(b) / (a) bare stack: {ratio_a:.2f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps({"results": results, "sigap_over_b": ratio_b, "b_over_a": ratio_a}, indent=2)
        )


if __name__ == "__main__":
    main()
