"""Routes for operators: Prometheus metrics and readiness."""

from __future__ import annotations

import ipaddress
import time

from alembic.script import ScriptDirectory
from flask import Blueprint, Response, current_app, g, request
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from api.tokens import authenticate, bearer
from core import clock
from core import metrics as counters
from core.cli import alembic_config
from core.db import db
from models import Role
from ops import metrics, ready
from webhooks import spool

bp = Blueprint("ops", __name__)

#: The first part of a webhook route's path after /webhooks/, as its metrics channel.
_CHANNELS = {
    "twilio/sms": "twilio_sms",
    "twilio/whatsapp": "twilio_whatsapp",
    "twilio/status": "twilio_status",
    "smsgate": "smsgate",
    "whatsapp-cloud": "whatsapp_cloud",
}


def _reader() -> Session:
    """A session for the operator reads that never waits behind SQLite's writer.

    The app's SQLite connections take the write lock at BEGIN (core/db.py); a probe must
    still answer while a writer holds it, and WAL lets plain readers read meanwhile.
    """
    if db.engine is None or db.engine.dialect.name != "sqlite":
        return Session(db.engine)
    engine = current_app.extensions.get("ops_reader")
    if engine is None:
        engine = create_engine(db.engine.url, poolclass=NullPool, connect_args={"timeout": 0.5})
        current_app.extensions["ops_reader"] = engine
    return Session(engine)


def _from_loopback() -> bool:
    """A direct request from this machine, not one a local proxy passed on."""
    if request.headers.get("X-Forwarded-For") or request.headers.get("Forwarded"):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def _admin_token() -> bool:
    try:
        account = authenticate(
            db.session, bearer(request.headers.get("Authorization")), clock.now()
        )
    except Exception:
        return False
    return account.role == Role.ADMIN


@bp.get("/metrics")
def scrape() -> Response:
    """Prometheus text format, to loopback or an admin's token; 403 to anyone else."""
    if not (_from_loopback() or _admin_token()):
        return Response(
            '{"error": {"code": "forbidden", "message": "Metrics are served to loopback '
            'or with an admin token."}}',
            status=403,
            mimetype="application/json",
        )
    lease = float(current_app.config["SIGAP_SCHEDULER_LEASE_SECONDS"])
    with _reader() as session:
        page = metrics.render(metrics.StateCollector(session, spool.directory(), lease))
        session.rollback()
    return Response(page, mimetype="text/plain; version=0.0.4")


@bp.get("/readyz")
def readyz() -> tuple[dict[str, object], int]:
    """200 when every named check passes, 503 otherwise; JSON either way."""
    now, engine = clock.now(), db.session.get_bind().engine
    scripts = ScriptDirectory.from_config(alembic_config(current_app.config["DATABASE_URL"]))
    with _reader() as session:
        ok, checks = ready.run(
            {
                "database_writable": lambda: ready.database_writable(engine),
                "migrations_at_head": lambda: ready.migrations_at_head(session, scripts),
                "scheduler_leader": lambda: ready.scheduler_leader(session, now),
                "worker_alive": lambda: ready.worker_alive(session, now),
                "interpretation": lambda: ready.interpretation(session, now),
                "spool_draining": lambda: ready.spool_draining(spool.directory(), now),
            }
        )
        session.rollback()
    return {"status": "ready" if ok else "not_ready", "checks": checks}, 200 if ok else 503


@bp.before_app_request
def _start_timer() -> None:
    g.ops_started = time.perf_counter()


@bp.after_app_request
def _count_webhook(response: Response) -> Response:
    path = request.path
    if path.startswith("/webhooks/") and "ops_started" in g:
        rest = path[len("/webhooks/") :].strip("/")
        channel = _CHANNELS.get(rest, "other")
        counters.webhook_answered(
            channel, response.status_code, time.perf_counter() - g.ops_started
        )
    return response
