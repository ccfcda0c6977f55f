"""Commands: `keys generate|rotate` for the data key, `cases erase` for erasure on request."""

from __future__ import annotations

import secrets
from base64 import urlsafe_b64encode

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from cases import find_case
from core import clock, media_store
from core.cli import one_line_errors
from core.db import db
from models import Account, Base
from security.erasure import NotAllowed, erase_case
from security.rotation import Keys, Target, rotate_batch, rotate_file, rotate_media_file, targets
from webhooks import spool

keys_cli = AppGroup("keys", help="The data key that encrypts personal data.")
cases_cli = AppGroup("cases", help="Case records.")


@keys_cli.command("generate")
def generate_command() -> None:
    """Print a new random data key (32 bytes, urlsafe base64)."""
    click.echo(urlsafe_b64encode(secrets.token_bytes(32)).decode())


@keys_cli.command("rotate")
@click.option("--batch", default=500, show_default=True, help="Rows per transaction.")
@one_line_errors
def rotate_command(batch: int) -> None:
    """Re-encrypt all personal data and media files under the newest key of SIGAP_DATA_KEY."""
    data_key = current_app.config["SIGAP_DATA_KEY"]
    if "," not in data_key:
        click.echo("SIGAP_DATA_KEY holds one key: checking everything is under it", err=True)
    keys = Keys.from_config(data_key)
    rows = rewritten = 0
    for target in targets(Base.metadata):
        read, written = _rotate_table(keys, target, batch)
        rows, rewritten = rows + read, rewritten + written
    media_files = _rotate_media(keys)
    files = _rotate_spool(keys)
    click.echo(
        f"keys: {rewritten} of {rows} rows, {media_files} media files and {files} spool files "
        "re-encrypted under the newest key"
    )


def _rotate_table(keys: Keys, target: Target, size: int) -> tuple[int, int]:
    """Rotate one table batch by batch, one commit each; return rows read and rewritten."""
    name = target.table.name
    after, read, written = None, 0, 0
    while True:
        try:
            after, seen, changed = rotate_batch(db.session, keys, target, after, size)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            raise click.ClickException(
                f"{name}: two rows would have the same lookup hash; nothing of this batch "
                "changed. Was the service running with only the new key?"
            ) from None
        except BaseException:
            db.session.rollback()
            raise
        read, written = read + seen, written + changed
        if seen == size:
            click.echo(f"  {name}: {read} rows read, {written} re-encrypted so far", err=True)
        else:
            break
    click.echo(f"{name}: {read} rows read, {written} re-encrypted")
    return read, written


def _rotate_media(keys: Keys) -> int:
    """Rotate every stored media file, one at a time; return how many were rewritten."""
    directory = media_store.directory()
    if not directory.exists():
        return 0
    # A rotation stopped mid-file left its temporary copy; the file itself is whole.
    for leftover in directory.glob(".*.tmp"):
        leftover.unlink(missing_ok=True)
    paths = sorted(directory.glob(f"*{media_store.SUFFIX}"))
    rotated = sum(rotate_media_file(keys, path) for path in paths)
    click.echo(f"media: {len(paths)} files read, {rotated} re-encrypted")
    return rotated


def _rotate_spool(keys: Keys) -> int:
    """Rotate every spool file; return how many were rewritten."""
    directory = spool.directory()
    if not directory.exists():
        return 0
    paths = sorted(directory.glob(f"*{spool.SUFFIX}"))
    rotated = sum(rotate_file(keys, path) for path in paths)
    click.echo(f"spool: {len(paths)} files read, {rotated} re-encrypted")
    return rotated


@cases_cli.command("erase")
@click.argument("reference")
@click.option("--by", "account_id", type=int, required=True, help="The admin account erasing.")
@click.option("--reason", required=True, help="Why, e.g. the request's number; no names.")
@one_line_errors
def erase_command(reference: str, account_id: int, reason: str) -> None:
    """Erase the personal fields of case REFERENCE; the case and its timeline stay."""
    case = find_case(db.session, reference)
    if case is None:
        raise click.ClickException(f"no case {reference}")
    actor = db.session.get(Account, account_id)
    if actor is None:
        raise click.ClickException(f"no account {account_id}")
    try:
        done = erase_case(db.session, case, actor, reason, clock.now())
    except (NotAllowed, ValueError) as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(
        f"case {case.reference} erased: {done.reports} reports, {done.messages} messages, "
        f"{done.dialogs} dialogs, {done.events} timeline entries, {done.reporters} reporter "
        f"numbers, {done.outbox} outbound messages"
    )


def init_app(app: Flask) -> None:
    """Register the commands; `erase` joins a `cases` group if another package has one."""
    app.cli.add_command(keys_cli)
    existing = app.cli.commands.get("cases")
    if isinstance(existing, click.Group):
        existing.add_command(erase_command)
    else:
        app.cli.add_command(cases_cli)
