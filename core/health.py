"""Liveness for load balancers."""

from __future__ import annotations

from flask import Blueprint

from core.db import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """Answer 200 when the database answers, 503 otherwise."""
    if db.ping():
        return {"status": "ok"}, 200
    return {"status": "unavailable"}, 503
