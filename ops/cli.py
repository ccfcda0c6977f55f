"""Commands: `backup FILE`, `restore FILE` and `seed demo`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from alerts.rosters import seed_demo_rosters
from cases import seed_default_rules
from core import clock, deployment
from core.cli import one_line_errors
from core.crypto import keyring
from core.db import db
from core.demo import seed_demo
from core.gazetteer import load_regions
from ops.backup import BackupError, make_backup, restore_backup
from webhooks import spool


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
@one_line_errors
def backup_command(file: Path) -> None:
    """Write a consistent, encrypted copy of the database and the spool to FILE."""
    try:
        manifest = make_backup(
            current_app.config["DATABASE_URL"],
            spool.directory(),
            file,
            keyring().backup_keys()[0],
            clock.now(),
        )
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"backup written to {file} ({manifest.database}, {manifest.spool_files} spool files)"
    )


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
@one_line_errors
def restore_command(file: Path) -> None:
    """Restore FILE into this instance's empty database and spool folder."""
    try:
        manifest = restore_backup(
            file, current_app.config["DATABASE_URL"], spool.directory(), keyring().backup_keys()
        )
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"restored a {manifest.database} backup of {manifest.created_at} "
        f"({manifest.spool_files} spool files)"
    )


seed_cli = AppGroup("seed", help="Demo data.")


@seed_cli.command("demo")
@one_line_errors
def seed_demo_command() -> None:
    """Load the gazetteer and demo agencies, staff and rosters if absent."""
    load_regions(db.session, set(deployment.current().provinces))
    added = seed_demo(db.session)
    rules = seed_default_rules(db.session)
    slots = seed_demo_rosters(db.session)
    db.session.commit()
    click.echo(
        f"demo: {added['agencies']} agencies, {added['accounts']} accounts, "
        f"{rules} routing rules, {slots} roster slots added"
    )
