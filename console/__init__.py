"""The console: server-rendered pages for agency staff and coordinators, at /console."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the console's pages, its session settings and `accounts set-password`."""
    from console import auth, cli, coordination, views

    _ = coordination  # its routes join the views' blueprint
    auth.configure(app)
    app.register_blueprint(views.bp)
    cli.init_app(app)
