"""Routes of the facilitator app: the page, the service worker, the manifest, the files."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, request, send_from_directory
from werkzeug.wrappers import Response as BaseResponse

from facilitator import shell

bp = Blueprint("facilitator", __name__, url_prefix="/app")

#: The page runs only its own files and talks only to its own origin.
POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
#: Asked again every time: the page and the worker decide which version runs.
REVALIDATE = "no-cache"
#: A URL with the current version never changes.
FOREVER = "public, max-age=31536000, immutable"


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = POLICY
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Cache-Control", REVALIDATE)
    return response


@bp.get("")
def bare() -> BaseResponse:
    """Send /app to /app/, the app's scope."""
    return redirect("/app/", 308)


@bp.get("/")
def index() -> Response:
    """Serve the app's page."""
    return Response(shell.page(), mimetype="text/html")


@bp.get("/sw.js")
def service_worker() -> Response:
    """Serve the service worker, allowed to control /app itself as well as /app/."""
    response = Response(shell.service_worker(), mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/app"
    return response


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    """Serve the manifest that makes the app installable."""
    return send_from_directory(
        shell.STATIC, "manifest.webmanifest", mimetype="application/manifest+json"
    )


@bp.get("/texts.js")
def texts() -> Response:
    """Serve the app's texts in both languages."""
    response = Response(shell.texts_script(), mimetype="text/javascript")
    _cache_if_current(response)
    return response


@bp.get("/static/<name>")
def asset(name: str) -> Response:
    """Serve a file of the shell; forever cacheable when asked for by its current version."""
    if name not in shell.ASSETS:
        abort(404)
    response = send_from_directory(shell.STATIC, name)
    _cache_if_current(response)
    return response


def _cache_if_current(response: Response) -> None:
    current = request.args.get("v") == shell.version()
    response.headers["Cache-Control"] = FOREVER if current else REVALIDATE
