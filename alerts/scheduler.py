"""The one scheduler process: APScheduler fires the jobs, a database lease picks the leader."""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy import or_, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from alerts import jobs
from core import clock
from core.db import affected, db
from core.jobs import registered
from models import Lease

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
LEASE_TTL = timedelta(seconds=60)


def holder_id() -> str:
    """Who this process is, for the lease row."""
    return f"{socket.gethostname()}:{os.getpid()}"


def acquire_lease(holder: str, now: datetime, ttl: timedelta = LEASE_TTL) -> bool:
    """Take or renew the scheduler lease; False while another live process holds it."""
    expires = now + ttl
    renewed = affected(
        db.session.execute(
            update(Lease)
            .where(Lease.name == LEASE_NAME)
            .where(or_(Lease.holder == holder, Lease.expires_at < now))
            .values(holder=holder, expires_at=expires)
        )
    )
    if not renewed:
        db.session.add(Lease(name=LEASE_NAME, holder=holder, expires_at=expires))
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            return False
    db.session.commit()
    return True


def release_lease(holder: str) -> None:
    """Give the lease up at a clean shutdown so a standby takes over at once."""
    db.session.execute(
        update(Lease)
        .where(Lease.name == LEASE_NAME, Lease.holder == holder)
        .values(expires_at=clock.now())
    )
    db.session.commit()


class SchedulerProcess:
    """APScheduler in the foreground; every firing runs only while this process leads."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.holder = holder_id()
        self.ttl = timedelta(seconds=float(app.config["SIGAP_SCHEDULER_LEASE_SECONDS"]))
        self.is_leader = False
        self.scheduler = BlockingScheduler(timezone="UTC")

    def heartbeat(self) -> None:
        """Renew or take the lease."""
        with self.app.app_context():
            was = self.is_leader
            try:
                self.is_leader = acquire_lease(self.holder, clock.now(), self.ttl)
            except DBAPIError as exc:
                # A locked or unreachable database is a reason to wait, not to exit: the
                # next heartbeat tries again, and nothing runs without the lease meanwhile.
                db.session.rollback()
                self.is_leader = False
                log.warning("scheduler lease not renewed: %s", type(exc).__name__)
            if was != self.is_leader:
                log.info("scheduler %s", "leading" if self.is_leader else "standing by")

    def fire(self, name: str) -> None:
        """Run one job for its due moment, if this process leads."""
        if not self.is_leader:
            return
        with self.app.app_context():
            job = {j.name: j for j in registered()}[name]
            outcome = jobs.run_if_due(job, clock.now())
            if outcome is not None:
                log.info("job %s: %s", name, outcome)

    def start(self) -> None:
        """Schedule the heartbeat and every registered job, then block until stopped."""
        self.heartbeat()
        self.scheduler.add_job(
            self.heartbeat,
            IntervalTrigger(seconds=self.ttl.total_seconds() / 4),
            id="heartbeat",
        )
        for job in registered():
            self.scheduler.add_job(
                self.fire,
                job.trigger,
                args=[job.name],
                id=job.name,
                coalesce=job.coalesce,  # after downtime: one run for all missed moments
                misfire_grace_time=int(job.grace.total_seconds()),
                max_instances=1,
            )
        log.info("scheduler started with %d jobs", len(registered()))
        try:
            self.scheduler.start()
        finally:
            with self.app.app_context():
                release_lease(self.holder)
