"""The facilitator's offline app (a PWA) at /app: its shell, service worker and texts.

The app is plain JavaScript in ``static/``; nothing is built. The shell's version is a hash
of its files, so a changed file makes a new service worker cache and old ones are dropped.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Serve the app under /app."""
    from facilitator import views

    app.register_blueprint(views.bp)
