"""Command-line commands for routing: `routing export|import|defaults`."""

from __future__ import annotations

from typing import IO

import click
from flask import Flask
from flask.cli import AppGroup

from cases import routing
from core import deployment
from core.cli import one_line_errors
from core.db import db

routing_cli = AppGroup("routing", help="Which agencies receive which cases.")


@routing_cli.command("export")
@click.argument("file", type=click.File("w", encoding="utf-8", lazy=True))
@one_line_errors
def export_command(file: IO[str]) -> None:
    """Write the routing table to FILE as CSV ('-' for standard output)."""
    count = routing.export_rules(db.session, file)
    click.echo(f"routing: {count} rules exported", err=True)


@routing_cli.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--dry-run", is_flag=True, help="Check the file and change nothing.")
@one_line_errors
def import_command(file: IO[str], dry_run: bool) -> None:
    """Replace the routing table with the rules in FILE; a file with any error changes nothing.

    A file that leaves any case without an agency, or emergencies and sexual violence without
    the police, is refused too, with each place and the cases it would leave bare.
    """
    try:
        provinces = deployment.current().provinces
        removed, added = routing.import_rules(db.session, file.read(), provinces)
    except routing.RoutingFileError as exc:
        db.session.rollback()
        for problem in exc.problems:
            click.echo(problem, err=True)
        raise click.ClickException(
            f"routing file refused: {len(exc.problems)} problem(s)"
        ) from None
    if dry_run:
        db.session.rollback()
        click.echo(f"routing: file is valid, {added} rules (nothing changed)")
        return
    db.session.commit()
    click.echo(f"routing: {added} rules loaded, {removed} replaced")


@routing_cli.command("defaults")
@click.option("--replace", is_flag=True, help="Replace an existing routing table.")
@one_line_errors
def defaults_command(replace: bool) -> None:
    """Load the Sulawesi Tengah default rules (agencies must exist: `seed demo`)."""
    if replace:
        rows = routing.default_rules(db.session)
        removed = routing.replace_rules(db.session, rows)
        added = len(rows)
    else:
        added, removed = routing.seed_default_rules(db.session), 0
        if not added:
            raise click.ClickException(
                "a routing table exists or no default agency does; --replace to overwrite"
            )
    db.session.commit()
    click.echo(f"routing: {added} default rules loaded, {removed} replaced")


def init_app(app: Flask) -> None:
    """Register the routing commands and the case-work jobs."""
    app.cli.add_command(routing_cli)
    from cases import jobs

    jobs.register_jobs(deployment.of(app).zone)
