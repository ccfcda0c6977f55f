"""The JSON API of the facilitator app and staff, at /api/v1, described by OpenAPI 3."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from api.schemas import ErrorOut

SPEC = {
    "API_TITLE": "SIGAP",
    "API_VERSION": "1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
}
BEARER = {"type": "http", "scheme": "bearer", "description": "A token from `tokens create`."}


class SigapApi(Api):
    """flask-smorest with SIGAP's error shape, leaving error handling to core.errors."""

    ERROR_SCHEMA = ErrorOut

    def _register_error_handlers(self) -> None:
        # core.errors already answers every error as JSON; smorest's would replace it app-wide.
        pass


def init_app(app: Flask) -> None:
    """Register the API's routes, its OpenAPI document and its commands."""
    from api import cli
    from api.routes import cases, casework, coordination, sync

    for key, value in SPEC.items():
        app.config.setdefault(key, value)
    app.config.setdefault("API_SPEC_OPTIONS", {"security": [{"bearerAuth": []}]})
    api = SigapApi(app)
    api.spec.components.security_scheme("bearerAuth", BEARER)
    for blueprint in (sync.bp, cases.bp, casework.bp, coordination.bp):
        api.register_blueprint(blueprint)
    cli.init_app(app)
