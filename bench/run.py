"""Run every benchmark in bench/ and write docs/PERFORMANCE.md: what `make bench` does.

    .venv/bin/python bench/run.py [--quick] [--no-report]

Each benchmark runs as its own process, bounded in time, and leaves its figures in
bench/results/<name>.json (with its printed output); bench/report.py then turns them, and
the machine's description, into docs/PERFORMANCE.md. Results of earlier runs are removed
first, so the document only ever shows figures measured together. `--quick` shrinks every
size to check the machinery in about two minutes; its document says so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PEER, RESULTS, ROOT, write_result

#: Sizes of the full run (what docs/PERFORMANCE.md reports) and of --quick.
SIZES = {
    "full": {
        "intake": "--rounds 5 --per-round 300 --concurrency 8 --rate 50 --paced-seconds 20"
        " --paced-rounds 3",
        "triage": "--rounds 50",
        "scheduler": "--closed 200000 --messages 1000",
        "profile": "--requests 300 --top 25",
        "worker": "--rate 20 --seconds 30 --burst 5000 --mock",
    },
    "quick": {
        "intake": "--rounds 1 --per-round 100 --paced-seconds 4 --paced-rounds 1",
        "triage": "--rounds 3",
        "scheduler": "--closed 5000 --messages 100",
        "profile": "--requests 50 --top 15",
        "worker": "--rate 20 --seconds 4 --burst 200",
    },
}
#: No benchmark may run longer than this; the whole full run takes about twenty minutes.
TIMEOUT_SECONDS = 900


def run(name: str, script: str, args: list[str], env: dict | None = None) -> dict:
    """Run one benchmark script, echo its output, and return what happened."""
    command = [sys.executable, f"bench/{script}", *args]
    print(f"== {name}: {' '.join(command[1:])}", flush=True)
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
        output, errors, code = done.stdout, done.stderr, done.returncode
    except subprocess.TimeoutExpired as exc:
        output, errors, code = _text(exc.stdout), _text(exc.stderr), None
    print(output, end="", flush=True)
    if code != 0:
        print(errors[-3000:], file=sys.stderr)
    return {
        "command": " ".join(["bench/" + script, *args]),
        "returncode": code,
        "seconds": time.perf_counter() - started,
        "output": output,
        "error_tail": errors[-3000:] if code != 0 else "",
    }


def _text(value: bytes | str | None) -> str:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return value or ""


def machine() -> dict:
    """What the figures were measured on, and the load other users put on it."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    meminfo = Path("/proc/meminfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    memory_kb = int(re.search(r"^MemTotal:\s*(\d+)", meminfo, re.M).group(1))
    pins = (PEER / "requirements.txt").read_text()
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": model.group(1).strip() if model else platform.processor(),
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "load_before": os.getloadavg(),
        "sigap_stack": {
            name: metadata.version(name) for name in ("Flask", "SQLAlchemy", "gunicorn", "twilio")
        },
        "peer_stack": dict(re.findall(r"^(RapidSMS|Django|gunicorn)==(\S+)", pins, re.M)),
        "commit": _git("rev-parse", "--short", "HEAD"),
        "uncommitted": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }


def _git(*args: str) -> str:
    """A read-only git query; --no-optional-locks keeps even `status` from writing."""
    done = subprocess.run(
        ["git", "--no-optional-locks", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return done.stdout.strip()


def main() -> int:
    """Run intake, triage, scheduler, the profile and the worker, then the report; 1 if any
    broke."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks, not figures")
    parser.add_argument("--no-report", action="store_true", help="leave docs/ alone")
    args = parser.parse_args()
    sizes = {k: v.split() for k, v in SIZES["quick" if args.quick else "full"].items()}
    started = time.perf_counter()
    for old in RESULTS.glob("*.json"):
        old.unlink()
    info = machine()
    steps = {}
    results = str(RESULTS)
    steps["intake"] = run(
        "intake", "intake.py", [*sizes["intake"], "--json", f"{results}/intake.json"]
    )
    steps["triage"] = run("triage", "triage.py", sizes["triage"])
    with tempfile.TemporaryDirectory(prefix="sigap-bench-scheduler-") as tmp:
        # TMPDIR too: the scheduler benchmark makes its own directory, removed with this one.
        env = {**os.environ, "TMPDIR": tmp, "SIGAP_INSTANCE": tmp}
        steps["scheduler"] = run(
            "scheduler",
            "scheduler.py",
            [*sizes["scheduler"], "--database-url", f"sqlite:///{tmp}/scheduler.db"],
            env=env,
        )
    steps["profile"] = run("profile", "profile_intake.py", [*sizes["profile"], "--json"])
    steps["worker"] = run(
        "worker", "worker.py", [*sizes["worker"], "--json", f"{results}/worker.json"]
    )
    info["load_after"] = os.getloadavg()
    for name in ("triage", "scheduler"):
        write_result(name, steps[name])
    write_result(
        "run",
        {
            "machine": info,
            "quick": args.quick,
            "sizes": sizes,
            "steps": {
                name: {k: v for k, v in s.items() if k != "output"} for name, s in steps.items()
            },
            "seconds": time.perf_counter() - started,
        },
    )
    broken = [name for name, step in steps.items() if step["returncode"] is None]
    broken += [
        n
        for n in ("intake", "scheduler", "profile", "worker")
        if steps[n]["returncode"] not in (0, None)
    ]
    if not args.no_report:
        from bench.report import write_report

        print(f"== report: {write_report().relative_to(ROOT)}")
    print(f"== make bench took {time.perf_counter() - started:.0f} s")
    if broken:
        print(f"== broken: {', '.join(broken)} (see bench/results/)", file=sys.stderr)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
