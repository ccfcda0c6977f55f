"""Operating SIGAP: metrics, readiness, backups, demo data."""

from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger
from flask import Flask

from core import deployment


def init_app(app: Flask) -> None:
    """Register the operator routes, the backup commands and the nightly backup job."""
    from core.jobs import Job, register
    from ops import cli, jobs, views

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.backup_command)
    app.cli.add_command(cli.restore_command)
    app.cli.add_command(cli.seed_cli)
    zone = deployment.of(app).zone
    register(Job("ops.backup", CronTrigger(hour=2, minute=0, timezone=zone), jobs.nightly_backup))
