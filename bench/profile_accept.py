"""Where an accepted webhook's time goes: SIGAP's webhook beside baseline (b), in one process.

    .venv/bin/python bench/profile_accept.py [--requests 2000] [--top 30] [--no-profile]

A fresh migrated SQLite file for SIGAP and another for (b) (bench/baselines.py,
BASELINE=minimal); the same signed corpus webhooks are handed to each app's WSGI callable
directly (no server, no test client), first unprofiled for CPU per request, then SIGAP's
under cProfile. Prints CPU ms per request of both, their ratio, and SIGAP's top functions
by cumulative time. The bench's figures come from bench/intake.py under gunicorn; this
only says where the time goes.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import importlib
import io
import logging
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from werkzeug.test import EnvironBuilder

from bench.common import RESULTS, corpus_texts, env_for, signed_bodies
from bench.intake import prepare_database

BASE = "http://localhost"

Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def environs(bodies: list[tuple[str, bytes, str]]) -> list[dict[str, Any]]:
    """One WSGI environ per signed body, built before any timing."""
    out = []
    for path, body, signature in bodies:
        builder = EnvironBuilder(
            path=path,
            base_url=BASE,
            method="POST",
            data=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature,
            },
        )
        out.append(builder.get_environ())
        builder.close()
    return out


def call(app: Wsgi, environ: dict[str, Any]) -> None:
    """Run one request through a WSGI app; fail unless it answered 200."""
    status: list[str] = []

    def start_response(code: str, _headers: object, _exc: object = None) -> None:
        status.append(code)

    for _chunk in app(environ, start_response):
        pass
    if not status or not status[0].startswith("200"):
        raise RuntimeError(f"answered {status}")


def cpu_per_request(app: Wsgi, batch: list[dict[str, Any]]) -> float:
    """CPU ms per request over a batch."""
    cpu0 = time.process_time()
    for environ in batch:
        call(app, environ)
    return (time.process_time() - cpu0) * 1000 / len(batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--dump", type=Path, help="write the raw profile here")
    args = parser.parse_args()
    n = args.requests
    with tempfile.TemporaryDirectory(prefix="sigap-accept-") as tmp:
        url = prepare_database(Path(tmp) / "sigap.db")
        os.environ.update(env_for(url, SIGAP_INSTANCE=tmp))
        os.environ.update(BASELINE="minimal", BASELINE_DB=f"{tmp}/baseline.db")
        RESULTS.mkdir(parents=True, exist_ok=True)
        # The app logs a line per request, as in production; to a file, not the terminal.
        logging.basicConfig(filename=RESULTS / "accept-app.log", level=logging.INFO, force=True)
        from core.app import create_app

        sigap = create_app()
        baseline = importlib.import_module("bench.baselines").create_app()
        texts = corpus_texts()
        rounds = 4
        batches = [
            environs(signed_bodies(BASE, n // rounds, start=(r + 1) * 10**6, texts=texts))
            for r in range(2 * rounds + 3)
        ]
        for environ in batches[0][:50]:  # warm
            call(sigap, environ)
        for environ in batches[1][:50]:
            call(baseline, environ)
        figures: dict[str, list[float]] = {"sigap": [], "b": []}
        for r in range(rounds):
            figures["sigap"].append(cpu_per_request(sigap, batches[2 + 2 * r]))
            figures["b"].append(cpu_per_request(baseline, batches[3 + 2 * r]))
        mine, theirs = sorted(figures["sigap"]), sorted(figures["b"])
        print(
            f"CPU ms per request, median of {rounds} rounds of {n // rounds}: "
            f"SIGAP {mine[rounds // 2]:.3f}, (b) {theirs[rounds // 2]:.3f}; "
            f"(b)/SIGAP {theirs[rounds // 2] / mine[rounds // 2]:.2f}"
        )
        if args.no_profile:
            return
        profiler = cProfile.Profile(time.process_time)  # CPU, not the wait for the disk
        quiet = contextlib.redirect_stdout(io.StringIO())
        with quiet:
            profiler.enable()
            for environ in batches[-1]:
                call(sigap, environ)
            profiler.disable()
    stats = pstats.Stats(profiler)
    if args.dump:
        stats.dump_stats(str(args.dump))
    stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
