"""The job registry: what runs on the schedule and when each job is due.

Each package registers its own jobs when the app is created; the scheduler process and
`jobs run-due` (alerts) read them from here and record each run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.triggers.base import BaseTrigger


@dataclass(frozen=True)
class Job:
    """A job: what runs, when, and how late a missed moment may still run."""

    name: str
    trigger: BaseTrigger
    #: Does the work for `now` inside an app context, commits it, returns a short summary.
    run: Callable[[datetime], str]
    #: A moment missed by more than this (the scheduler was down) is skipped, not run late.
    grace: timedelta = timedelta(minutes=10)
    #: After downtime, fire once for all missed moments (APScheduler's coalesce); run_due
    #: always runs only the latest due moment.
    coalesce: bool = True


_registry: dict[str, Job] = {}


def register(job: Job) -> Job:
    """Add a job to the schedule (each package registers its own at app creation)."""
    _registry[job.name] = job
    return job


def registered() -> list[Job]:
    """The jobs in registration order."""
    return list(_registry.values())


def latest_due(job: Job, now: datetime, lookback: timedelta = timedelta(days=8)) -> datetime | None:
    """The last moment at or before `now` when the job's trigger fires."""
    moment, last = now - lookback, None
    while True:
        nxt = job.trigger.get_next_fire_time(last, moment)
        if nxt is None or nxt > now:
            return last
        last, moment = nxt, nxt + timedelta(microseconds=1)
