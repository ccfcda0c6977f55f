"""Commands: `backup FILE` and `restore FILE`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from core import clock
from core.cli import one_line_errors
from core.crypto import keyring
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
