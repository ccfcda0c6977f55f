"""Intake throughput and latency against two baselines and a peer, measured in the same run.

    .venv/bin/python bench/intake.py [--rounds 5] [--per-round 300] [--concurrency 8]
        [--rate 50] [--paced-seconds 20] [--paced-rounds 3] [--no-peer] [--json FILE]

Starts gunicorn servers (sync workers, 2 each) on 127.0.0.1: SIGAP's webhook (it verifies,
stores and answers; the worker interprets later, measured by bench/worker.py), (a) a bare
Flask endpoint returning the same TwiML, (b) the same plus the signature check and one
committed SQLite insert, and (c) a minimal RapidSMS project answering the same
webhook (bench/peer, installed into its own virtual environment on first use). Posts
pre-signed webhooks with unique MessageSids and senders (half SMS, half WhatsApp, texts
from the triage corpus), first paced at a fixed rate, then at saturation, rounds
interleaved so the machine's noise hits every server alike, and prints medians over
rounds: requests/s, p50/p99 latency, server CPU ms per request, and the ratios between
servers (medians of the ratios within each round); then the resident memory of each worker.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    PEER,
    RESULTS,
    ROOT,
    Server,
    corpus_texts,
    env_for,
    gunicorn,
    median,
    peer_env,
    peer_python,
    percentile,
    post_all,
    signed_bodies,
)

LABELS = {
    "a_bare": "(a) bare Flask TwiML",
    "b_minimal": "(b) + signature + 1 SQLite commit",
    "c_peer": "(c) RapidSMS 2.2 peer",
    "sigap": "SIGAP webhook (accepts; the worker interprets)",
}
P99_TARGET_MS = 50.0
PEER_RATIO_TARGET = 2.0


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


def prepare_peer(path: Path) -> dict:
    """Install the peer if needed, migrate its SQLite file; return its gunicorn arguments."""
    python = peer_python()
    env = peer_env(path)
    subprocess.run(
        [str(python), "-m", "django", "migrate", "--no-input"],
        cwd=PEER,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return {"python": python, "cwd": PEER}


def measure(
    server: Server, bodies: list, concurrency: int, rate: float | None, max_seconds: float
) -> dict:
    """One round against one server."""
    cpu0, t0 = server.cpu_seconds(), time.perf_counter()
    latencies = post_all(server.base, bodies, concurrency, rate=rate, max_seconds=max_seconds)
    wall, cpu = time.perf_counter() - t0, server.cpu_seconds() - cpu0
    return {
        "rps": len(latencies) / wall,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "cpu_ms": cpu * 1000 / len(latencies),
        "done": len(latencies),
        "of": len(bodies),
    }


def summarise(rounds: list[dict]) -> dict:
    """Medians over rounds, with the rounds themselves kept for the record."""
    summary = {key: median([r[key] for r in rounds]) for key in rounds[0]}
    summary["rounds"] = rounds
    return summary


def main() -> None:
    """Prepare every server's database, run both phases, print and optionally save."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="saturation rounds")
    parser.add_argument("--per-round", type=int, default=300, help="requests per saturation round")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads at saturation")
    parser.add_argument("--rate", type=float, default=50.0, help="paced requests/s")
    parser.add_argument("--paced-seconds", type=float, default=20.0, help="0 skips the paced phase")
    parser.add_argument("--paced-rounds", type=int, default=3)
    parser.add_argument("--paced-concurrency", type=int, default=16)
    parser.add_argument("--no-peer", action="store_true", help="leave out the RapidSMS peer")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--logs", type=Path, default=RESULTS, help="where servers' stderr goes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sigap-intake-") as tmp:
        url = prepare_database(Path(tmp) / "sigap.db")
        servers = {
            "a_bare": ("bench.baselines:app", env_for(url, BASELINE="bare"), {}),
            "b_minimal": (
                "bench.baselines:app",
                env_for(url, BASELINE="minimal", BASELINE_DB=f"{tmp}/baseline.db"),
                {},
            ),
        }
        if not args.no_peer:
            peer_db = Path(tmp) / "peer.db"
            options = prepare_peer(peer_db)
            servers["c_peer"] = ("peer.wsgi:application", peer_env(peer_db), options)
        servers["sigap"] = ("wsgi:app", env_for(url, SIGAP_INSTANCE=tmp), {})
        results = run_interleaved(servers, args)
    report(results, args)


def run_interleaved(servers: dict, args) -> dict:
    """Paced rounds, then saturation rounds, over all servers in turn; then memory."""
    args.logs.mkdir(parents=True, exist_ok=True)
    texts = corpus_texts()
    with ExitStack() as stack:
        running = {
            name: stack.enter_context(
                gunicorn(app, env, log=args.logs / f"intake-{name}.log", **options)
            )
            for name, (app, env, options) in servers.items()
        }
        offset = 0
        for server in running.values():  # first requests load code and caches: not measured
            post_all(server.base, signed_bodies(server.base, 40, start=offset, texts=texts), 4)
            offset += 40
        phases = {}
        plans = {"saturation": (args.rounds, args.per_round, args.concurrency, None, 300.0)}
        if args.paced_seconds > 0:
            count = round(args.rate * args.paced_seconds)
            plans = {
                "paced": (
                    args.paced_rounds,
                    count,
                    args.paced_concurrency,
                    args.rate,
                    2 * args.paced_seconds + 5,
                ),
                **plans,
            }
        for phase, (rounds, count, concurrency, rate, max_seconds) in plans.items():
            per_server: dict[str, list[dict]] = {name: [] for name in running}
            names = list(running)
            for index in range(rounds):
                # rotate the order, so no server always follows the same neighbour
                for name in names[index % len(names) :] + names[: index % len(names)]:
                    server = running[name]
                    bodies = signed_bodies(server.base, count, start=offset, texts=texts)
                    offset += count
                    per_server[name].append(measure(server, bodies, concurrency, rate, max_seconds))
            phases[phase] = {name: summarise(r) for name, r in per_server.items()}
            for name, summary in phases[phase].items():
                summary["sigap_ratio"] = paired_ratio(per_server["sigap"], per_server[name])
        memory = {name: server.worker_rss_mb() for name, server in running.items()}
    return {"phases": phases, "rss_mb": memory}


def paired_ratio(mine: list[dict], theirs: list[dict]) -> float:
    """Median over rounds of one server's rate over another's in the same round.

    Rounds run back to back, so a round's pair shares the machine's noise: a median of
    paired ratios cancels it better than a ratio of medians taken from different rounds.
    """
    return median([m["rps"] / t["rps"] for m, t in zip(mine, theirs, strict=True)])


def verdicts(results: dict, args) -> dict:
    """The ratios between servers (paired by round) and the issue's targets, met or not."""
    saturation = results["phases"]["saturation"]
    rounds = {name: r["rounds"] for name, r in saturation.items()}
    out = {
        "sigap_over_b": paired_ratio(rounds["sigap"], rounds["b_minimal"]),
        "b_over_a": paired_ratio(rounds["b_minimal"], rounds["a_bare"]),
    }
    if "c_peer" in saturation:
        out["sigap_over_peer"] = paired_ratio(rounds["sigap"], rounds["c_peer"])
        out["peer_target_met"] = out["sigap_over_peer"] >= PEER_RATIO_TARGET
    paced = results["phases"].get("paced")
    if paced:
        p99 = paced["sigap"]["p99"] * 1000
        out["paced_sigap_p99_ms"] = p99
        out["p99_target_met"] = (
            p99 < P99_TARGET_MS and paced["sigap"]["done"] == paced["sigap"]["of"]
        )
    return out


def report(results: dict, args) -> None:
    """Print the tables and, with --json, save everything for bench/report.py."""
    for phase, servers in results["phases"].items():
        if phase == "paced":
            head = f"paced at {args.rate:.0f} req/s for {args.paced_seconds:.0f} s"
            rounds = args.paced_rounds
        else:
            head = f"saturation, {args.per_round} requests, {args.concurrency} client threads"
            rounds = args.rounds
        print(f"intake {head}; {rounds} rounds, gunicorn sync x2 each; medians over rounds")
        print(f"{'server':<12}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms/req':>12}{'done':>11}")
        for name, r in servers.items():
            print(
                f"{name:<12}{r['rps']:>9.1f}{r['p50'] * 1000:>9.1f}{r['p99'] * 1000:>9.1f}"
                f"{r['cpu_ms']:>12.2f}{r['done']:>6.0f}/{r['of']:<4.0f}"
            )
    for name, sizes in results["rss_mb"].items():
        print(f"RSS after load, {name}: " + ", ".join(f"{mb:.0f} MB" for mb in sizes))
    ratios = verdicts(results, args)
    print(f"sigap / (b) minimal correct intake: {ratios['sigap_over_b']:.2f} (target >= 0.80)")
    print(f"(b) / (a) bare stack: {ratios['b_over_a']:.2f}")
    if "sigap_over_peer" in ratios:
        met = "met" if ratios["peer_target_met"] else "NOT met"
        print(f"sigap / (c) RapidSMS peer: {ratios['sigap_over_peer']:.2f} (target >= 2: {met})")
    if "paced_sigap_p99_ms" in ratios:
        met = "met" if ratios["p99_target_met"] else "NOT met"
        print(f"sigap p99 at {args.rate:.0f} req/s: {ratios['paced_sigap_p99_ms']:.1f} ms ({met})")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        config = {
            key: getattr(args, key)
            for key in (
                "rounds",
                "per_round",
                "concurrency",
                "rate",
                "paced_seconds",
                "paced_rounds",
                "paced_concurrency",
            )
        }
        data = {**results, "ratios": ratios, "config": config, "labels": LABELS}
        args.json.write_text(json.dumps(data, indent=2) + "\n")


if __name__ == "__main__":
    main()
