"""Scheduled jobs: a registry, the moment each is due, and running each due moment once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.triggers.base import BaseTrigger
from sqlalchemy.exc import IntegrityError

from core import clock
from core.db import db
from models import JobRun

log = logging.getLogger(__name__)


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


def claim(job: Job, due_at: datetime) -> JobRun | None:
    """Record that the job runs for this moment; None when it already ran (here or elsewhere)."""
    run = JobRun(job=job.name, due_at=due_at, started_at=clock.now())
    db.session.add(run)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return run


def run_if_due(job: Job, now: datetime) -> str | None:
    """Run the job once for its latest due moment; return its summary, or None if not due."""
    # Only moments within the grace can run, so only those need computing (an interval
    # of seconds over the default lookback would be tens of thousands of steps).
    due_at = latest_due(job, now, lookback=job.grace)
    if due_at is None or now - due_at > job.grace:
        return None
    run = claim(job, due_at)
    if run is None:
        return None
    try:
        outcome = job.run(now)
    except Exception as exc:
        db.session.rollback()
        outcome = f"failed: {type(exc).__name__}"
        log.error("job %s failed: %s", job.name, type(exc).__name__)
    run.finished_at, run.outcome = clock.now(), outcome[:200]
    db.session.add(run)
    db.session.commit()
    return outcome


def run_due(now: datetime) -> list[tuple[str, str]]:
    """Run every registered job that is due at `now`, once each."""
    done = []
    for job in registered():
        outcome = run_if_due(job, now)
        if outcome is not None:
            done.append((job.name, outcome))
    return done
