"""Write docs/RELIABILITY.md from the runs' counts."""

from __future__ import annotations

import inspect
import os
import platform
import sqlite3
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from channels.twilio_send import FIND_LIMIT
from chaos import burst, db_down, flaky_twilio, kill
from chaos.common import RunResult

#: Each scenario's description, for its section.
DESCRIPTIONS = {
    "burst": burst.__doc__,
    "kill": kill.__doc__,
    "db-down": db_down.__doc__,
    "db-down-postgresql": db_down.run_postgresql.__doc__,
    "flaky-twilio": flaky_twilio.__doc__,
}
COLUMNS = (
    ("seconds", "s"),
    ("messages", "sent"),
    ("requests", "requests"),
    ("got_200", "got 200"),
    ("acked", "messages with a 200"),
    ("stored", "stored"),
    ("processed", "processed"),
    ("duplicates", "duplicates"),
    ("lost", "lost"),
)


def line(result: RunResult) -> str:
    """One run on one line, for the console."""
    counts = ", ".join(f"{label} {getattr(result, key)}" for key, label in COLUMNS)
    extra = ", ".join(f"{k} {v}" for k, v in result.extra.items())
    verdict = "ok" if not result.problems else "PROBLEMS: " + "; ".join(result.problems)
    return f"{result.scenario} #{result.run}: {counts}; {extra}\n  {verdict}"


def machine() -> str:
    """CPU, cores, memory, system and versions, in one line."""
    cpu = "unknown CPU"
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                cpu = row.split(":", 1)[1].strip()
                break
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f"{pages / 2**30:.0f} GiB RAM"
    except (OSError, ValueError):
        memory = "memory unknown"
    versions = ", ".join(
        f"{name} {metadata.version(name)}" for name in ("flask", "sqlalchemy", "gunicorn")
    )
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory}; {platform.system()} {platform.release()}; "
        f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, {versions}"
    )


def _table(results: list[RunResult]) -> list[str]:
    extra_keys: list[str] = []
    for r in results:
        extra_keys += [k for k in r.extra if k not in extra_keys]
    head = ["run", *(label for _, label in COLUMNS), *extra_keys, "verdict"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        cells = [str(r.run), *(str(getattr(r, key)) for key, _ in COLUMNS)]
        cells += [str(r.extra.get(k, "")) for k in extra_keys]
        cells.append("ok" if not r.problems else "**" + "; ".join(r.problems) + "**")
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def notes(results: list[RunResult]) -> list[str]:
    """What the counts say beyond pass or fail, and what the runs leave out."""
    out = ["## Notes", ""]
    bursts = [r for r in results if r.scenario == "burst"]
    if bursts and max(r.messages for r in bursts) < 5000:
        out.append(
            f"- These burst runs sent {bursts[0].messages} messages each (`CHAOS_BURST`);"
            " `make chaos` sends the full-size 5,000."
        )
    spooled = sum(int(r.extra.get("spooled", 0) or 0) for r in bursts)
    if spooled:
        out.append(
            f"- With no fault injected, {spooled} burst messages went through the spool: a"
            " writer waited longer than SQLite's busy timeout (5 s) for the write lock. None"
            " was lost (the replay stored them), but they were answered and processed late."
        )
    gaps = [
        int(gap)
        for r in results
        for gap in str(r.extra.get("newer to that number before the resend", "")).split()
    ]
    if gaps:
        past = sum(gap >= FIND_LIMIT for gap in gaps)
        out.append(
            f"- {len(gaps)} outbound messages reached the Twilio stand-in twice in `kill`; for"
            f" {past} of them, {FIND_LIMIT:,} or more newer messages to the same number had"
            " arrived by the time the outbox looked the first copy up, more than"
            " `TwilioProvider.find_sent` looks back through (`FIND_LIMIT` in"
            " channels/twilio_send.py); the others it should have found."
        )
    exits = sum(int(r.extra.get("scheduler exits at start", 0) or 0) for r in results)
    if exits:
        out.append(
            f"- The scheduler process exited by itself {exits} times (its log is in the run"
            " folder with `--keep`). The scenario restarts it, as a supervisor would;"
            " `scripts/run` would instead stop the whole service."
        )
    if not any(r.scenario == "db-down-postgresql" for r in results):
        out.append(
            "- `db-down-postgresql` did not run: it needs CHAOS_POSTGRES_URL, a PostgreSQL"
            " server where the role may create databases."
        )
    out += [
        "- Runs work on tmpfs (/dev/shm) when there is one: the faults here kill processes,"
        " not the machine, so a killed process's writes survive either way, and the disk's"
        " fsyncs would only slow the runs. Power loss is not simulated.",
        "- `flaky-twilio` injects faults before a request reaches the mock. An answer lost"
        " after Twilio accepted a message cannot be shown against the spec mock, which keeps"
        " nothing to look up; `kill` shows it against its own stand-in instead.",
        "",
    ]
    return out


def write(target: Path, results: list[RunResult], total: float, runs: int) -> None:
    """Write the report: when, where, and each scenario's runs with their counts."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    failed = [r for r in results if r.problems]
    verdict = (
        f"{len(failed)} runs broke a promise (below)" if failed else "every run kept every promise"
    )
    out = [
        "# Reliability under load, faults and abuse",
        "",
        "Generated by `make chaos` (`chaos/run.py`); do not edit by hand, run it again.",
        "",
        f"- Date: {when}",
        f"- Machine: {machine()}",
        f"- Runs: {runs} of each scenario, {len(results)} in all, {total / 60:.1f} minutes",
        f"- Result: {verdict}",
        "",
        "Columns: *sent* distinct messages (MessageSids); *requests* POSTs made, provider",
        "resends and retries after a dropped connection included; *got 200* POSTs answered",
        "200; *messages with a 200* distinct messages answered 200 at least once; *stored*",
        "`inbound_message` rows after the jobs ran; *processed* of those, interpreted;",
        "*duplicates* a message stored twice, or an outbound message that reached the provider",
        "twice; *lost* a message answered 200 that is not stored. Each run draws its data and",
        "fault moments from a seed named by scenario and run number; the moments a process is",
        "killed also depend on timing, so a run is repeatable in kind, not to the millisecond.",
        "",
    ]
    for name, description in DESCRIPTIONS.items():
        mine = [r for r in results if r.scenario == name]
        if not mine:
            continue
        doc = inspect.cleandoc(description or "").split("\n\n")
        out += [f"## `{name}`", "", *doc, "", *_table(mine), ""]
    out += notes(results)
    if failed:
        out += ["## Problems found", ""]
        for r in failed:
            out.append(f"- `{r.scenario}` run {r.run}: " + "; ".join(r.problems))
            out.append(
                f"  Reproduce: `.venv/bin/python chaos/run.py --scenario {r.scenario} "
                f"--runs {r.run} --keep` (logs and database stay in the printed folder)."
            )
        out.append("")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(out))
