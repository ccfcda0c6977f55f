"""Security and privacy: key rotation, retention of raw messages, erasure on request."""

from flask import Flask

from core import deployment


def init_app(app: Flask) -> None:
    """Register the key and erasure commands and the retention job."""
    from security import cli, jobs

    jobs.retention_days(app.config)  # a bad value stops the start, in one line
    cli.init_app(app)
    jobs.register_jobs(deployment.of(app).zone)
