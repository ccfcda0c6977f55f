"""Command-line commands of the scheduler: `scheduler` and `jobs run-due`."""

from __future__ import annotations

from datetime import datetime

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from alerts import jobs
from alerts.scheduler import SchedulerProcess
from core import clock
from core.cli import one_line_errors

jobs_cli = AppGroup("jobs", help="Scheduled jobs.")


@jobs_cli.command("run-due")
@click.option("--now", "now_text", help="ISO 8601 moment to run at (default: now).")
@one_line_errors
def run_due_command(now_text: str | None) -> None:
    """Run every job due at that moment once, and exit."""
    if now_text:
        try:
            at = datetime.fromisoformat(now_text)
        except ValueError:
            raise click.BadParameter("not an ISO 8601 date and time", param_hint="--now") from None
        if at.tzinfo is None:
            raise click.BadParameter("give a zone, e.g. 2026-11-27T07:30+08:00", param_hint="--now")
        clock.freeze(at)
    for name, outcome in jobs.run_due(clock.now()):
        click.echo(f"{name}: {outcome}")


@click.command("scheduler")
@one_line_errors
def scheduler_command() -> None:
    """Run the scheduler process in the foreground (one leads; others stand by)."""
    SchedulerProcess(current_app._get_current_object()).start()


def init_app(app: Flask) -> None:
    """Register the scheduler commands."""
    app.cli.add_command(jobs_cli)
    app.cli.add_command(scheduler_command)
