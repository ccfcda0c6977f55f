"""Running the registered jobs: each due moment once, here or in another process."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from core import clock
from core.db import db
from core.jobs import Job, latest_due, registered
from models import JobRun

log = logging.getLogger(__name__)


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
