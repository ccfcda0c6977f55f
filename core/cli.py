"""Command-line commands of the core: database, gazetteer, demo data."""

from __future__ import annotations

import functools
import sys
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import click
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from core import deployment
from core.config import ROOT, ConfigError
from core.db import db
from core.gazetteer import count_by_level, load_regions, read_rows
from models import Agency

db_cli = AppGroup("db", help="The database schema.")
regions_cli = AppGroup("regions", help="The Kemendagri gazetteer.")
agencies_cli = AppGroup("agencies", help="The agencies cases are routed to.")


def one_line_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn configuration and connection failures into one clear line and exit status 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "no answer"
            raise click.ClickException(
                f"the database at DATABASE_URL does not answer: {reason}"
            ) from None

    return wrapper


def alembic_config(database_url: str) -> AlembicConfig:
    """Alembic configuration pointing at this project's migrations and a database."""
    cfg = AlembicConfig(str(ROOT / "alembic.ini"))
    cfg.attributes["database_url"] = database_url
    return cfg


@db_cli.command("upgrade")
@click.argument("revision", default="head")
@one_line_errors
def db_upgrade(revision: str) -> None:
    """Apply the migrations (creating the SQLite file if needed)."""
    alembic_command.upgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)
    click.echo(f"database at revision {revision}")


@db_cli.command("downgrade")
@click.argument("revision")
@one_line_errors
def db_downgrade(revision: str) -> None:
    """Revert the migrations down to a revision (`base` empties the database)."""
    alembic_command.downgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)
    click.echo(f"database at revision {revision}")


@regions_cli.command("load")
@click.option("--all", "load_all", is_flag=True, help="The whole country, not SIGAP_PROVINCES.")
@one_line_errors
def regions_load(load_all: bool) -> None:
    """Load the gazetteer; running it again changes nothing."""
    provinces = None if load_all else set(deployment.current().provinces)
    total = sum(1 for _ in read_rows(provinces))
    started = time.monotonic()
    with click.progressbar(length=total, label="regions", file=sys.stderr) as bar:
        added, updated = load_regions(db.session, provinces, bar.update)
    db.session.commit()
    counts = count_by_level(db.session)
    click.echo(
        f"regions: {added} added, {updated} renamed in {time.monotonic() - started:.1f}s; "
        + ", ".join(f"{n} {level}" for level, n in sorted(counts.items()))
    )


@agencies_cli.command("list")
@one_line_errors
def agencies_list() -> None:
    """List agencies, one a line: code, name, region (the codes `--agency` takes)."""
    for agency in db.session.scalars(select(Agency).order_by(Agency.code)):
        state = "" if agency.is_active else "\t(inactive)"
        click.echo(f"{agency.code}\t{agency.name}\t{agency.region_code}{state}")


@click.command("about")
@click.option("--bind", default="127.0.0.1:5000", help="Where the web server listens.")
@click.option("--wait", default=60, help="Seconds to wait for the server to answer.")
def about_command(bind: str, wait: int) -> None:
    """Wait for the server, then say where to point Twilio and how to send a test message."""
    base = f"http://{bind}"
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:  # noqa: S310 - our own loopback server
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        raise click.ClickException(f"the server at {base} did not answer /healthz in {wait}s")
    click.echo(_banner(base, bind))


def _banner(base: str, bind: str) -> str:
    """Where SIGAP serves, where to point Twilio, and what real Twilio requests need."""
    config = current_app.config
    public = config.get("PUBLIC_BASE_URL") or "https://<your public address>"
    chosen = (config.get("SIGAP_PROVIDER") or "twilio").strip().lower()
    provider = (
        "console (ids printed here, texts kept in the outbox)" if chosen == "console" else "Twilio"
    )
    token = (
        "set: real Twilio requests are checked against it"
        if config.get("TWILIO_AUTH_TOKEN")
        else "unset: only `simulate` is accepted; real Twilio requests need it (403 until set)"
    )
    simulate = ".venv/bin/flask --app wsgi simulate sms"
    if bind != "127.0.0.1:5000":
        simulate += f" --url {base}"
    return f"""
SIGAP is running at {base}  (health: {base}/healthz)
Point Twilio at (Messaging webhooks, HTTP POST):
  SMS       {public}/webhooks/twilio/sms
  WhatsApp  {public}/webhooks/twilio/whatsapp
  Status    {public}/webhooks/twilio/status
TWILIO_AUTH_TOKEN: {token}.
Behind a tunnel or proxy (ngrok, cloudflared, nginx), set PUBLIC_BASE_URL to the https
address Twilio calls: signatures are checked against that URL, not {base}.
Twilio gets an empty answer at once; the worker interprets each message and the
reply follows through the outbox.
Outbound messages go to: {provider}
Send a test message (prints the reply):
  {simulate} "tolong ada kdrt di desa Sidera"
Stop with Ctrl-C.
"""


def init_app(app: Flask) -> None:
    """Register the core commands."""
    for group in (db_cli, regions_cli, agencies_cli):
        app.cli.add_command(group)
    app.cli.add_command(about_command)
