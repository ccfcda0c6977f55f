"""The application factory."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from core import config as config_mod
from core import crypto, deployment, logs
from core.db import db


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the SIGAP app; nothing starts running (no scheduler, no connections)."""
    app = Flask(
        "sigap", instance_path=str(config_mod.instance_dir()), instance_relative_config=True
    )
    app.config.update(config_mod.load(test_config))
    # Twilio never posts more than a few kilobytes; the API sync batch is the largest body.
    app.config["MAX_CONTENT_LENGTH"] = app.config.get("MAX_CONTENT_LENGTH") or 1024 * 1024
    crypto.install(app.config["SIGAP_DATA_KEY"])
    db.init_app(app)
    deployment.init_app(app)
    _configure_logging(app)
    _register(app)
    return app


def _configure_logging(app: Flask) -> None:
    """Log ids and outcomes to stderr, JSON or plain; never numbers or text."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logs.handler(app.config.get("SIGAP_LOG_FORMAT") or "json"))
        root.setLevel(logging.INFO)
    logs.init_app(app)
    app.logger.setLevel(logging.INFO)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def _register(app: Flask) -> None:
    """Attach blueprints, error handlers and CLI commands of every package."""
    import api
    import console
    import facilitator
    import ops
    import security
    import webhooks
    from alerts import cli as alerts_cli
    from cases import cli as cases_cli
    from core import cli, errors, health
    from intake import jobs as intake_jobs
    from webhooks import limits_admin

    errors.init_app(app)
    app.register_blueprint(health.bp)
    cli.init_app(app)
    alerts_cli.init_app(app)
    cases_cli.init_app(app)
    webhooks.init_app(app)
    limits_admin.init_app(app)
    intake_jobs.init_app(app)
    api.init_app(app)
    facilitator.init_app(app)
    console.init_app(app)
    security.init_app(app)
    ops.init_app(app)
