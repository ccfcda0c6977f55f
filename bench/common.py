"""What the benchmarks share: servers on 127.0.0.1, signed bodies, a bounded load loop."""

from __future__ import annotations

import hashlib
import http.client
import json
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
RESULTS = ROOT / "bench" / "results"
CORPUS = ROOT / "tests" / "fixtures" / "corpus"
PEER = ROOT / "bench" / "peer"
PEER_VENV = PEER / ".venv"
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
        # Every benchmark request comes from a new sender: past the hourly cap on replies to
        # new senders SIGAP would stop answering, and the answered path is what is measured.
        SIGAP_NEW_SENDER_REPLIES_PER_HOUR="1000000",
    )
    env.update(extra)
    # Outbound messages are printed unless a scenario aims them at a Twilio stand-in.
    env.setdefault("SIGAP_PROVIDER", "twilio" if env.get("TWILIO_ACCOUNT_SID") else "console")
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

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each worker (not the master), in MB, from /proc."""
        sizes = []
        for pid in _children(self.process.pid):
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except FileNotFoundError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        return sorted(sizes)


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


@contextmanager
def gunicorn(
    app: str,
    env: dict[str, str],
    workers: int = 2,
    *,
    python: str | Path = sys.executable,
    cwd: Path = ROOT,
    log: Path | None = None,
) -> Iterator[Server]:
    """Run gunicorn with sync workers on a free loopback port; stop it afterwards.

    `python` picks the virtual environment (the peer has its own); `log` takes the
    server's stderr, which is otherwise the terminal's.
    """
    port = free_port()
    stderr = log.open("ab") if log else None
    process = subprocess.Popen(
        [
            str(python),
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
        cwd=cwd,
        env=env,
        stderr=stderr,
        start_new_session=True,
    )
    server = Server(f"http://127.0.0.1:{port}", process)
    try:
        _wait(port, process)
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        if stderr:
            stderr.close()


@contextmanager
def workers(
    env: dict[str, str], count: int = 1, *, cwd: Path = ROOT, log: Path | None = None
) -> Iterator[list[subprocess.Popen]]:
    """Run `count` interpretation workers (`flask --app wsgi worker`); stop them afterwards."""
    stderr = log.open("ab") if log else subprocess.DEVNULL
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
        for _ in range(count)
    ]
    try:
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)
        if log:
            stderr.close()  # type: ignore[union-attr]


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


def corpus_rows() -> list[dict]:
    """Every labelled report of the triage corpus (text, category, priority ...), in file order."""
    return [
        json.loads(line)
        for path in sorted(CORPUS.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def corpus_texts() -> list[str]:
    """Every report text of the triage corpus, in file order: varied, realistic reports."""
    return [row["text"] for row in corpus_rows()]


def signed_bodies(
    base: str, n: int, start: int = 0, texts: list[str] | None = None
) -> list[tuple[str, bytes, str]]:
    """n pre-signed inbound webhooks, half SMS, half WhatsApp.

    Each has its own MessageSid and sender; the texts cycle through the corpus, so every
    request is a new report from a new reporter, as on a busy day, not one text that keeps
    joining the same case.
    """
    validator = RequestValidator(TOKEN)
    texts = texts or corpus_texts()
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
            "Body": texts[i % len(texts)],
        }
        path = f"/webhooks/twilio/{kind}"
        signature = validator.compute_signature(base + path, form)
        bodies.append((path, urllib.parse.urlencode(form).encode(), signature))
    return bodies


def post_all(
    base: str,
    bodies: list[tuple[str, bytes, str]],
    concurrency: int,
    rate: float | None = None,
    max_seconds: float = 300.0,
) -> list[float]:
    """Post every body with `concurrency` threads (optionally paced); return latencies in s.

    Paced, a request's latency counts from when it was due, not from when a free thread
    sent it, so a server that falls behind the rate shows its queue. No request starts
    after `max_seconds`: the caller sees fewer latencies than bodies.
    """
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    items = iter(enumerate(bodies))
    started = time.perf_counter()
    deadline = started + max_seconds

    def worker() -> None:
        while True:
            with lock:
                nxt = next(items, None)
            if nxt is None:
                return
            index, (path, body, signature) = nxt
            due = started + index / rate if rate else None
            if due is not None and due > time.perf_counter():
                time.sleep(due - time.perf_counter())  # pacing a fixed-rate load
            if time.perf_counter() > deadline:
                return
            t0 = time.perf_counter() if due is None else due
            status = _post(host, int(port), path, body, signature)
            with lock:
                latencies.append(time.perf_counter() - t0)
                if status != 200:
                    errors.append(status)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{len(errors)} requests failed, e.g. HTTP {errors[0]}")
    return latencies


def _post(host: str, port: int, path: str, body: bytes, signature: str) -> int:
    """POST one signed form on a fresh connection, as Twilio does; return the status."""
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request(
            "POST",
            path,
            body,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature,
            },
        )
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def median(values: list[float]) -> float:
    return statistics.median(values)


def peer_python() -> Path:
    """The peer's interpreter, installing its virtual environment first when needed.

    The environment is rebuilt whenever bench/peer/requirements.txt changes (a stamp holds
    the file's hash), with the interpreter running the benchmark.
    """
    requirements = PEER / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()
    stamp = PEER_VENV / ".requirements-sha256"
    python = PEER_VENV / "bin" / "python"
    if python.exists() and stamp.exists() and stamp.read_text() == digest:
        return python
    print(f"installing the RapidSMS peer into {PEER_VENV.relative_to(ROOT)}", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(PEER_VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "-r", str(requirements)],
        check=True,
        timeout=900,
    )
    stamp.write_text(digest)
    return python


def peer_env(db_path: Path) -> dict[str, str]:
    """Environment of the peer's processes: its settings, database and the shared token."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="peer.settings",
        PEER_DB=str(db_path),
        TWILIO_AUTH_TOKEN=TOKEN,
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def write_result(name: str, data: dict) -> Path:
    """Write one benchmark's figures to bench/results/<name>.json for bench/report.py."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return path
