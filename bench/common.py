"""What the benchmarks share: servers on 127.0.0.1, signed bodies, a bounded load loop."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-auth-token-0123456789abcdef"
DATA_KEY = "YmVuY2ggZGF0YSBrZXk7IG5ldmVyIGluIHByb2R1Y3Q="


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def env_for(db_url: str, **extra: str) -> dict[str, str]:
    """Environment of a benchmarked server process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "SIGAP_"))}
    env.update(
        DATABASE_URL=db_url,
        SECRET_KEY="bench",
        SIGAP_DATA_KEY=DATA_KEY,
        TWILIO_AUTH_TOKEN=TOKEN,
        SIGAP_PROVINCES="72",
    )
    env.update(extra)
    return env


@dataclass
class Server:
    """A gunicorn serving on 127.0.0.1."""

    base: str
    process: subprocess.Popen

    def cpu_seconds(self) -> float:
        """User+system CPU of the master and its workers so far."""
        total = 0.0
        tick = os.sysconf("SC_CLK_TCK")
        for pid in [self.process.pid, *_children(self.process.pid)]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            total += (int(fields[11]) + int(fields[12])) / tick
        return total


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


@contextmanager
def gunicorn(app: str, env: dict[str, str], workers: int = 2) -> Iterator[Server]:
    """Run gunicorn with sync workers on a free loopback port; stop it afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
            app,
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    server = Server(f"http://127.0.0.1:{port}", process)
    try:
        _wait(port, process)
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def _wait(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server exited at start")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                time.sleep(0.3)  # let every worker finish booting before load starts
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def signed_bodies(base: str, n: int, start: int = 0) -> list[tuple[str, bytes, str]]:
    """n pre-signed inbound webhooks with unique MessageSids, half SMS, half WhatsApp."""
    validator = RequestValidator(TOKEN)
    bodies = []
    for i in range(start, start + n):
        kind = "sms" if i % 2 == 0 else "whatsapp"
        prefix = "whatsapp:" if kind == "whatsapp" else ""
        form = {
            "MessageSid": f"SM{i:032x}",
            "AccountSid": "AC" + "0" * 32,
            "From": f"{prefix}+62808{i:08d}",  # +62 808: allocated to no operator
            "To": f"{prefix}+6280800000001",
            "NumMedia": "0",
            "Body": "tolong tetangga sy di desa Sidera dipukuli suaminya sekarang",
        }
        path = f"/webhooks/twilio/{kind}"
        signature = validator.compute_signature(base + path, form)
        bodies.append((path, urllib.parse.urlencode(form).encode(), signature))
    return bodies


def post_all(
    base: str, bodies: list[tuple[str, bytes, str]], concurrency: int, rate: float | None = None
) -> list[float]:
    """Post every body with `concurrency` threads (optionally paced); return latencies in s."""
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    items = iter(enumerate(bodies))
    started = time.perf_counter()

    def worker() -> None:
        while True:
            with lock:
                nxt = next(items, None)
            if nxt is None:
                return
            index, (path, body, signature) = nxt
            if rate:
                delay = started + index / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)  # pacing a fixed-rate load, not waiting in a test
            t0 = time.perf_counter()
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
            conn.request(
                "POST",
                path,
                body,
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Twilio-Signature": signature,
                },
            )
            status = conn.getresponse()
            status.read()
            conn.close()
            with lock:
                latencies.append(time.perf_counter() - t0)
                if status.status != 200:
                    errors.append(status.status)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{len(errors)} requests failed, e.g. HTTP {errors[0]}")
    return latencies


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def median(values: list[float]) -> float:
    return statistics.median(values)
