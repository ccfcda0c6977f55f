"""Two schedulers started at once: one leads, and every job runs once per period."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy import delete, func, select

from alerts.scheduler import LEASE_TTL, SchedulerProcess
from core import clock, jobs
from core.db import db
from models import JobRun, Lease

START = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def counting_job(runs: list[datetime]) -> jobs.Job:
    """A job due every minute that records each run."""
    lock = threading.Lock()

    def run(now: datetime) -> str:
        with lock:
            runs.append(now)
        return "counted"

    trigger = IntervalTrigger(minutes=1, start_date=START)
    return jobs.register(jobs.Job("test.count", trigger, run, grace=timedelta(seconds=50)))


def both(*calls) -> None:
    """Run the calls at the same moment from two threads."""
    barrier = threading.Barrier(len(calls))

    def go(call) -> None:
        barrier.wait()
        call()

    threads = [threading.Thread(target=go, args=(c,)) for c in calls]
    for th in threads:
        th.start()
    for th in threads:
        th.join()


def two(app: Flask) -> tuple[SchedulerProcess, SchedulerProcess]:
    a, b = SchedulerProcess(app), SchedulerProcess(app)
    a.holder, b.holder = "host-a:1", "host-b:2"  # two machines, as far as the lease can tell
    return a, b


def test_one_leads_and_the_other_takes_over_when_it_stops(app: Flask, registry) -> None:
    runs: list[datetime] = []
    counting_job(runs)
    clock.freeze(START)
    a, b = two(app)
    both(a.heartbeat, b.heartbeat)
    assert [a.is_leader, b.is_leader].count(True) == 1
    leader, standby = (a, b) if a.is_leader else (b, a)
    for _ in range(5):
        both(leader.heartbeat, standby.heartbeat)
        both(lambda: leader.fire("test.count"), lambda: standby.fire("test.count"))
        clock.advance(timedelta(minutes=1))
    assert len(runs) == 5
    # The leader dies: the standby takes over once the lease expires, and misses nothing.
    clock.advance(LEASE_TTL)
    standby.heartbeat()
    assert standby.is_leader
    standby.fire("test.count")
    assert len(runs) == 6


def test_even_two_leaders_run_each_period_once(app: Flask, registry) -> None:
    runs: list[datetime] = []
    counting_job(runs)
    clock.freeze(START)
    a, b = two(app)
    a.is_leader = b.is_leader = True  # a split brain: both believe they lead
    for _ in range(10):
        both(lambda: a.fire("test.count"), lambda: b.fire("test.count"))
        clock.advance(timedelta(seconds=30))
    assert len(runs) == 5  # ten firings in five minutes: one run per minute
    assert db.session.scalar(select(func.count()).select_from(JobRun)) == 5


def test_a_database_that_does_not_answer_makes_it_wait_not_exit(app: Flask, monkeypatch) -> None:
    """A locked SQLite at start used to end the scheduler, and `make run` with it."""
    from sqlalchemy.exc import OperationalError

    import alerts.scheduler

    def locked(*_args, **_kwargs):
        raise OperationalError("UPDATE lease", {}, Exception("database is locked"))

    process = SchedulerProcess(app)
    monkeypatch.setattr(alerts.scheduler, "acquire_lease", locked)
    process.heartbeat()
    assert process.is_leader is False
    monkeypatch.undo()
    process.heartbeat()
    assert process.is_leader is True


def test_a_shorter_lease_lets_the_standby_take_over_sooner(make_app, registry) -> None:
    app = make_app(SIGAP_SCHEDULER_LEASE_SECONDS="12")
    with app.app_context():
        db.session.execute(delete(Lease))  # whoever led in an earlier test
        db.session.commit()
    clock.freeze(START)
    a, b = two(app)
    a.heartbeat()
    b.heartbeat()
    assert (a.is_leader, b.is_leader) == (True, False)
    clock.advance(timedelta(seconds=11))
    b.heartbeat()
    assert not b.is_leader  # the leader may still be alive
    clock.advance(timedelta(seconds=2))
    b.heartbeat()
    assert b.is_leader
